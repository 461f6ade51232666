"""``notifications --json`` carries the old web system's fields besides today's keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bato_desktop.cli import main
from bato_desktop.db import NewNotification, Repository
from bato_desktop.notification_json import notification_json

TODAY_KEYS = {
    "id",
    "type",
    "series",
    "bato_link",
    "message",
    "chapter",
    "url",
    "importance",
    "is_read",
    "is_emitted",
    "created_at",
}
OLD_KEYS: dict[str, type | tuple[type, ...]] = {
    "anilist_id": int,
    "bato_link": str,
    "notification_type": str,
    "manga_name": str,
    "message": str,
    "chapter_dname": (str, type(None)),
    "chapter_full_url": (str, type(None)),
    "old_status": (str, type(None)),
    "new_status": (str, type(None)),
    "chapters_count": int,
    "importance": int,
    "is_read": bool,
    "created_at": str,
    "source": str,
}
WHEN = datetime(2026, 11, 22, 18, 4, tzinfo=UTC)
LINK_A, LINK_B = "https://bato.to/title/110100-weekly-hero", "https://bato.to/title/110200-batch"


def seed(repo: Repository) -> None:
    repo.create_notifications(
        [
            NewNotification(
                anilist_id=501,
                bato_link=LINK_A,
                notification_type="new_chapter",
                manga_name="Weekly Hero",
                message="New chapter available: Chapter 11",
                chapter_dname="Chapter 11",
                chapter_full_url="https://bato.to/title/110100/3000011",
            ),
            NewNotification(
                anilist_id=501,
                bato_link=LINK_A,
                notification_type="new_chapter",
                manga_name="Weekly Hero",
                message="New chapter available: Chapter 12",
                chapter_dname="Chapter 12",
                chapter_full_url="https://bato.to/title/110100/3000012",
            ),
            NewNotification(
                anilist_id=502,
                bato_link=LINK_B,
                notification_type="batch_update",
                manga_name="Batch Dump",
                message="5 new chapters available: Chapter 6 - Chapter 10",
                chapter_dname="Chapter 10",
                chapter_full_url="https://bato.to/title/110200/3000110",
                chapters_count=5,
                importance=2,
            ),
            NewNotification(
                anilist_id=502,
                bato_link=LINK_B,
                notification_type="status_change",
                manga_name="Batch Dump",
                message="Status changed from 'ongoing' to 'completed'",
                old_status="ongoing",
                new_status="completed",
                importance=3,
            ),
        ],
        now=WHEN,
    )


def run_json(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    assert main(["--database", url, "notifications", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_old_system_fields_beside_todays_keys(
    sqlite_url: str,
    open_repo: Callable[[str], Repository],
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = open_repo(sqlite_url)
    seed(repo)
    first_chapter = min(n.id for n in repo.list_notifications())
    repo.mark_read([first_chapter])

    notes = run_json(sqlite_url, capsys)
    assert len(notes) == 4
    for note in notes:
        assert note.keys() >= TODAY_KEYS
        for key, kind in OLD_KEYS.items():
            assert isinstance(note[key], kind), (key, note[key])
        # the old names repeat today's values where both exist
        assert note["notification_type"] == note["type"]
        assert note["manga_name"] == note["series"]
        assert note["chapter_dname"] == note["chapter"]
        assert note["chapter_full_url"] == note["url"]
        assert note["created_at"] == "2026-11-22T18:04:00+00:00"
        assert datetime.fromisoformat(note["created_at"]).utcoffset() is not None
        assert note["source"] == "bato-desktop"  # a SQLite file only this app writes
        assert note["is_read"] is (note["id"] == first_chapter)
        assert note["is_emitted"] is False

    by_key = {(n["type"], n["chapter"]): n for n in notes}
    chapter = by_key[("new_chapter", "Chapter 11")]
    assert (
        chapter["anilist_id"],
        chapter["bato_link"],
        chapter["manga_name"],
        chapter["message"],
        chapter["chapter_full_url"],
        chapter["old_status"],
        chapter["new_status"],
        chapter["chapters_count"],
        chapter["importance"],
    ) == (
        501,
        LINK_A,
        "Weekly Hero",
        "New chapter available: Chapter 11",
        "https://bato.to/title/110100/3000011",
        None,
        None,
        1,
        1,
    )
    assert by_key[("new_chapter", "Chapter 12")]["is_read"] is False
    batch = by_key[("batch_update", "Chapter 10")]
    assert (
        batch["anilist_id"],
        batch["bato_link"],
        batch["chapters_count"],
        batch["importance"],
        batch["message"],
    ) == (502, LINK_B, 5, 2, "5 new chapters available: Chapter 6 - Chapter 10")
    status = by_key[("status_change", None)]
    assert (
        status["old_status"],
        status["new_status"],
        status["chapter_dname"],
        status["chapter_full_url"],
        status["chapters_count"],
        status["importance"],
        status["bato_link"],
    ) == ("ongoing", "completed", None, None, 1, 3, LINK_B)

    unread = run_json(sqlite_url, capsys, "--unread")
    assert len(unread) == 3 and all(n["is_read"] is False for n in unread)


def test_source_in_a_shared_mariadb(
    sqlite_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    """Rows of the old types cannot be told apart by writer there; system warnings can."""
    repo = open_repo(sqlite_url)
    seed(repo)
    assert repo.raise_system_warning("more than 10% of checks failed", now=WHEN)
    rows = repo.list_notifications()
    sources = {
        row.notification_type: notification_json(row, shared_mariadb=True)["source"] for row in rows
    }
    assert sources == {
        "new_chapter": "shared-mariadb",
        "batch_update": "shared-mariadb",
        "status_change": "shared-mariadb",
        "system_warning": "bato-desktop",
    }
    warning = next(
        notification_json(row, shared_mariadb=False)
        for row in rows
        if row.notification_type == "system_warning"
    )
    assert warning["bato_link"] is None  # today's key keeps today's meaning (see the module)
    assert warning["chapters_count"] == 0 and warning["anilist_id"] == 0

"""Library, schedule and stats rules of the repository, on SQLite and on the real MariaDB:
one series one row whatever its link form, one AniList id one schedule, loud schedule saves,
and an error rate that needs a sample and ignores offline attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bato_desktop.db import Repository
from bato_desktop.db.repository import OFFLINE_PREFIX, ScheduleConflict
from tests.decisions import decision

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
URL = "https://bato.to/title/110100-my-amazing-manga"


def test_one_series_one_row_whatever_the_link_form(repo: Repository) -> None:
    first = repo.add_series(URL, "110100", now=NOW)
    again = repo.add_series("110100", "110100", now=NOW)
    assert again == first
    assert [s.bato_link for s in repo.tracked_series()] == [URL]
    assert repo.m.library.select().count() == 1
    assert repo.find_series("110100") == first
    assert repo.find_series("https://batotwo.com/title/110100") == first
    assert repo.find_series("https://bato.to/title/999") is None
    assert not repo.is_loaded(URL)


def test_an_anilist_id_belongs_to_one_series(repo: Repository) -> None:
    repo.add_series("https://bato.to/title/1-a", "1", anilist_id=5, now=NOW)
    with pytest.raises(
        ScheduleConflict,
        match=r"AniList id 5 is already used by "
        r"https://bato.to/title/1-a",
    ):
        repo.add_series("https://bato.to/title/2-b", "2", anilist_id=5, now=NOW)
    assert [s.bato_id for s in repo.tracked_series()] == ["1"]  # nothing half-written
    assert repo.get_schedule("https://bato.to/title/2-b") is None


def test_a_schedule_save_that_touches_no_row_fails_loudly(
    repo: Repository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo.add_series(URL, "110100", now=NOW)
    repo.m.schedule.delete().execute()
    monkeypatch.setattr(repo, "_ensure_schedule", lambda *_a: None)  # as if a race won
    with pytest.raises(ScheduleConflict, match="not saved"):
        repo.save_schedule_decision(URL, -110100, decision(NOW), scraped_at=NOW, status="success")


def test_a_series_sharing_an_old_anilist_row_gets_a_loud_conflict(repo: Repository) -> None:
    """Two tracked series with one AniList id (the web app's list allows it): the second
    cannot have a schedule in the old schema, and saving one says so instead of passing."""
    repo.add_series("https://bato.to/title/1-a", "1", anilist_id=5, now=NOW)
    repo.m.library.create(
        bato_link="https://bato.to/title/2-b",
        bato_id="2",
        anilist_id=5,
        added_at=NOW.replace(tzinfo=None),
    )
    assert repo.sync_schedules(NOW) == 0  # logged, not raised: the other series go on
    with pytest.raises(ScheduleConflict, match="AniList id 5 is already used"):
        repo.save_schedule_decision(
            "https://bato.to/title/2-b", 5, decision(NOW), scraped_at=NOW, status="success"
        )


def test_an_old_schedule_row_of_a_link_no_longer_tracked_is_taken_over(
    repo: Repository,
) -> None:
    s = repo.m.schedule
    s.create(
        anilist_id=7,
        bato_link="https://oldmirror.example/title/3",
        next_scrape_at=(NOW + timedelta(days=9)).replace(tzinfo=None),
        is_active=True,
        priority=2,
    )
    repo.add_series("https://bato.to/title/3-c", "3", anilist_id=7, now=NOW)
    row = repo.get_schedule("https://bato.to/title/3-c")
    assert row is not None and row.priority == 2 and row.next_scrape_at == NOW
    assert s.select().count() == 1


def add_logs(repo: Repository, status: str, n: int, error: str | None = None) -> None:
    for _ in range(n):
        repo.add_log(
            "https://bato.to/title/1",
            -1,
            "scheduled",
            status,
            error_message=error,
            scraped_at=NOW - timedelta(minutes=5),
        )


def test_error_rate_warning_needs_a_sample(repo: Repository) -> None:
    add_logs(repo, "success", 2)
    add_logs(repo, "rate_limited", 1, "Rate limited by Bato [HTTP 429]")
    stats = repo.stats(hours=24, now=NOW)
    assert round(stats.error_rate, 1) == 33.3 and stats.warning is None  # 3 checks say little
    add_logs(repo, "success", 6)
    add_logs(repo, "failed", 1, "HTTP 500")
    stats = repo.stats(hours=24, now=NOW)
    assert stats.total_jobs == 10 and stats.warning is not None
    assert "20.0% of 10 checks failed" in stats.warning


def test_offline_attempts_are_not_errors(repo: Repository) -> None:
    add_logs(repo, "success", 10)
    add_logs(repo, "failed", 30, f"{OFFLINE_PREFIX} No Bato host reachable")
    stats = repo.stats(hours=24, now=NOW)
    assert (stats.total_jobs, stats.failed, stats.warning) == (10, 0, None)
    assert len(repo.recent_logs(hours=24, now=NOW, status="failed")) == 30  # still logged

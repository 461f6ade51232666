"""The Bato family as it is today, end to end through the CLI on both backends: a new user pastes
an XCOMIC link and is notified of the next chapter; chapter identity survives link churn."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bato_desktop.cli import main
from bato_desktop.db import Repository
from bato_desktop.devtools.fake_bato import FakeBato

FAST = {"min_delay": 0.0, "max_delay": 0.01, "retry_backoff_max": 0.05, "request_timeout": 2.0}
LINK = "https://xcomic.me/comic/vg7ypp-en-the-last-archmage"


@pytest.fixture
def xcomic() -> Iterator[FakeBato]:
    fake = FakeBato(generations=("xcomic",))
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def cli(
    xcomic: FakeBato,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Any]:
    Path(os.environ["BATO_CONFIG_DIR"], "settings.json").write_text(json.dumps(FAST))
    monkeypatch.setenv("BATO_API_URL", xcomic.url + "/query/")  # the one domain, any path

    def run(*args: str, json_out: bool = False, code: int = 0, stderr: bool = False) -> Any:
        capsys.readouterr()
        assert main(["--database", database_url, *args]) == code
        captured = capsys.readouterr()
        if stderr:
            return captured.err
        return json.loads(captured.out) if json_out else captured.out

    return run


def due(repo: Repository) -> None:
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))


def test_paste_an_xcomic_link_and_hear_of_the_next_chapter(
    cli: Callable[..., Any],
    xcomic: FakeBato,
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    xcomic.add_series("vg7ypp", "The Last Archmage", chapters=12, anilist_id=4321)
    assert "Tracking The Last Archmage: 12 chapters loaded" in cli("add", LINK)
    [row] = cli("list", "--json", json_out=True)
    assert (row["bato_link"], row["bato_id"]) == (LINK, "xcomic:vg7ypp")
    assert "already tracked" in cli("add", "vg7ypp")  # under any link form
    assert cli("notifications", "--json", json_out=True) == []

    [chapter] = xcomic.add_chapters("vg7ypp", 1)
    due(open_repo(database_url))
    assert "1 new chapters" in cli("run", "--once")
    [note] = cli("notifications", "--json", json_out=True)
    assert note["notification_type"] == "new_chapter"
    assert note["manga_name"] == "The Last Archmage"
    assert note["chapter_dname"] == "Chapter 13"
    assert note["chapter_full_url"].startswith(xcomic.url + "/comic/vg7ypp-en-")
    assert f"/{chapter.chapter_id}-" in note["chapter_full_url"]
    assert note["bato_link"] == LINK


def test_link_churn_is_not_new_and_a_late_chapter_is(
    cli: Callable[..., Any],
    xcomic: FakeBato,
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    xcomic.add_series("vg7ypp", "The Last Archmage", chapters=8)
    cli("add", LINK)
    xcomic.reupload_chapter("vg7ypp", "ch_3")  # a new id and URL for chapter 3
    xcomic.add_chapter("vg7ypp", "Chapter 5", group="Other Scans")  # a second group's upload
    xcomic.insert_chapter("vg7ypp", "Chapter 4.5", after="ch_4")  # released late, mid-list
    repo = open_repo(database_url)
    due(repo)
    cli("run", "--once")
    notes = cli("notifications", "--json", json_out=True)
    assert [n["chapter_dname"] for n in notes] == ["Chapter 4.5"]
    due(repo)
    cli("run", "--once")
    assert len(cli("notifications", "--json", json_out=True)) == 1  # nothing twice


def test_a_work_link_follows_the_edition_in_the_users_language(
    cli: Callable[..., Any],
    xcomic: FakeBato,
) -> None:
    xcomic.add_series("es12ab", "El Ultimo Archimago", chapters=3, lang="es", title_id="t9x8")
    xcomic.add_series("en34cd", "The Last Archmage", chapters=5, lang="en", title_id="t9x8")
    assert "5 chapters loaded" in cli("add", "https://xcomic.me/title/t9x8-the-last-archmage")
    [row] = cli("list", "--json", json_out=True)
    assert row["bato_id"] == "xcomic:en34cd"
    assert row["bato_link"] == "https://xcomic.me/comic/en34cd"


def test_wrong_pastes_say_which_forms_are_accepted(cli: Callable[..., Any]) -> None:
    err = cli("add", "https://xcomic.me/search?word=archmage", code=1, stderr=True)
    assert "/comic/<id>" in err and "bare id" in err
    err = cli("add", "https://xcomic.me/comic/_/ch77xy", code=1, stderr=True)
    assert "paste the comic's link" in err


def test_mirrors_list_add_move_remove_and_probe(
    cli: Callable[..., Any],
    xcomic: FakeBato,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BATO_API_URL")
    out = cli("mirrors", "add", xcomic.url, "--at", "1")
    assert f"1. {xcomic.url}" in out
    listed = cli("mirrors", "list", "--json", json_out=True)
    assert listed[0]["domain"] == xcomic.url and listed[0]["state"] == "unknown"
    assert "already in the list" in cli("mirrors", "add", xcomic.url, code=1, stderr=True)
    cli("mirrors", "move", xcomic.url, "3")
    assert cli("mirrors", "list", "--json", json_out=True)[2]["domain"] == xcomic.url
    cli("mirrors", "remove", "https://yona.to")
    hosts = [d["domain"] for d in cli("mirrors", "list", "--json", json_out=True)]
    assert "https://yona.to" not in hosts
    saved = json.loads(Path(os.environ["BATO_CONFIG_DIR"], "settings.json").read_text())
    assert saved["hosts"] == hosts and saved["min_delay"] == 0.0  # other settings kept
    monkeypatch.setenv("BATO_API_URL", xcomic.url)  # probe only the fake: no network here
    [probed] = cli("mirrors", "probe", "--json", json_out=True)
    assert probed["generations"] == ["xcomic"] and probed["state"] == "up"
    assert "XCOMIC /query/" in cli("mirrors", "list")

"""Relink an old library: stranded /title/ series found on XCOMIC by AniList id or title, moved
with their history, the chapters of the time away in one digest, undo, interrupted relinks."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bato_desktop.cli import main
from bato_desktop.core.generations import SeriesKey
from bato_desktop.db import Repository
from bato_desktop.db.rows import TrackedSeries
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.dialects import SearchHit
from bato_desktop.engine.relink import MatchKind, Verdict, judge, normalize_title

FAST = {"min_delay": 0.0, "max_delay": 0.01, "retry_backoff_max": 0.05, "request_timeout": 2.0}
OLD = {
    "a": "https://batotwo.com/title/110100-the-last-archmage",
    "b": "https://batotwo.com/title/110200-iron-cook",
    "c": "https://batotwo.com/title/110300-gone-for-good",
}
START = datetime(2025, 6, 2, 12, tzinfo=UTC)


@pytest.fixture
def sites() -> Iterator[tuple[FakeBato, FakeBato]]:
    old, new = FakeBato(), FakeBato(generations=("xcomic",))
    old.start()
    new.start()
    try:
        yield old, new
    finally:
        old.stop()
        new.stop()


@pytest.fixture
def cli(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Any]:
    Path(os.environ["BATO_CONFIG_DIR"], "settings.json").write_text(json.dumps(FAST))

    def run(*args: str, site: FakeBato, json_out: bool = False, code: int = 0) -> Any:
        monkeypatch.setenv("BATO_API_URL", site.url)
        capsys.readouterr()
        assert main(["--database", database_url, *args]) == code
        out = capsys.readouterr().out
        return json.loads(out) if json_out else out

    return run


def old_library(cli: Callable[..., Any], old: FakeBato) -> None:
    """Three series tracked before January 2026 on the v3x generation."""
    old.add_series(110100, "The Last Archmage", chapters=10, start=START)
    old.add_series(110200, "Iron Cook", chapters=4, start=START)
    old.add_series(110300, "Gone For Good", chapters=2, start=START)
    for key, anilist in (("a", 1001), ("b", 1002), ("c", 1003)):
        cli("add", OLD[key], "--anilist-id", str(anilist), site=old)


def new_site(new: FakeBato) -> None:
    """The same works on XCOMIC: A with its AniList id (and a Spanish edition), B by title
    only, C not at all; each released a few chapters while Bato was gone."""
    new.add_series(
        "vg7ypp", "The Last Archmage", chapters=13, start=START, anilist_id=1001, title_id="t1"
    )
    new.add_series(
        "es7ypp",
        "The Last Archmage",
        chapters=13,
        start=START,
        anilist_id=1001,
        lang="es",
        title_id="t1",
    )
    new.add_series("ir0nck", "Iron Cook", chapters=5, start=START)


def test_relink_moves_with_history_and_one_digest(
    cli: Callable[..., Any],
    sites: tuple[FakeBato, FakeBato],
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    old, new = sites
    old_library(cli, old)
    cli("set", OLD["a"], "--mute", "--priority", "3", site=old)
    repo = open_repo(database_url)
    before = {c.chapter_key for c in repo.list_chapters(OLD["a"])}
    new_site(new)

    report = cli("relink", "--json", site=new, json_out=True)
    verdicts = {p["bato_link"]: p["verdict"] for p in report["plans"]}
    assert verdicts == {OLD["a"]: "auto", OLD["b"]: "pick", OLD["c"]: "unmatched"}
    plan_a = next(p for p in report["plans"] if p["bato_link"] == OLD["a"])
    assert plan_a["candidates"][0]["id"] == "xcomic:vg7ypp"  # the English edition
    assert plan_a["candidates"][0]["why"] == "AniList id 1001 matches"
    assert report["moved"] == []  # a report moves nothing

    applied = cli("relink", "--apply", "--json", site=new, json_out=True)
    assert [m["old_link"] for m in applied["moved"]] == [OLD["a"]]
    assert applied["digest"] == "While Bato was away: 3 new chapters in 1 series"
    notes = cli("notifications", "--json", site=new, json_out=True)
    assert [n["notification_type"] for n in notes] == ["relink_digest"]  # no toast a chapter

    listed = {row["bato_link"]: row for row in cli("list", "--json", site=new, json_out=True)}
    assert listed[OLD["a"]]["checked_as"] == "xcomic:vg7ypp"
    assert listed[OLD["a"]]["chapters"] == 13 and listed[OLD["a"]]["muted"] is True
    assert listed[OLD["b"]]["checked_as"] == "110200"  # waits for a pick
    assert before <= {c.chapter_key for c in repo.list_chapters(OLD["a"])}  # history kept
    schedule = repo.get_schedule(OLD["a"])
    assert schedule is not None and schedule.priority == 3

    picked = cli(
        "relink",
        "--pick",
        f"{OLD['b']}={new.url}/comic/ir0nck-en-iron-cook",
        "--json",
        site=new,
        json_out=True,
    )
    assert [m["new_id"] for m in picked["moved"]] == ["xcomic:ir0nck"]
    assert picked["digest"] == "While Bato was away: 1 new chapter in 1 series"

    new.add_chapters("vg7ypp", 1)
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
    cli("set", OLD["a"], "--unmute", site=new)
    cli("run", "--once", site=new)
    notes = cli("notifications", "--json", site=new, json_out=True)
    assert [n["chapter_dname"] for n in notes if n["notification_type"] == "new_chapter"] == [
        "Chapter 14"
    ]
    assert notes[0]["bato_link"] == OLD["a"]
    assert notes[0]["chapter_full_url"].startswith(new.url + "/comic/vg7ypp-en-")

    undone = cli("relink", "--undo", OLD["a"], "--json", site=new, json_out=True)
    assert undone["undone"]["status"] == "undone"
    row = {r["bato_link"]: r for r in cli("list", "--json", site=new, json_out=True)}[OLD["a"]]
    assert row["checked_as"] == "110100" and row["relinked_link"] is None


def test_a_relink_stopped_by_a_429_leaves_each_series_moved_or_untouched(
    cli: Callable[..., Any],
    sites: tuple[FakeBato, FakeBato],
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    old, new = sites
    old_library(cli, old)
    new_site(new)
    new.add_series("g0negd", "Gone For Good", chapters=4, start=START, anilist_id=1003)
    cli("relink", site=new)  # a report: the domains are probed, nothing moves
    new.inject("429", count=1, retry_after=600)
    report = cli("relink", "--apply", "--json", site=new, json_out=True)
    assert {p["verdict"] for p in report["plans"]} == {"not_searched"}
    assert all("429" in p["reason"] or "Rate limited" in p["reason"] for p in report["plans"])
    assert report["moved"] == []
    assert all(
        row["relinked_link"] is None for row in cli("list", "--json", site=new, json_out=True)
    )


def test_a_first_load_stopped_by_a_429_is_finished_by_the_engine(
    repo: Repository,
    sites: tuple[FakeBato, FakeBato],
) -> None:
    """Moved but not loaded yet: the series is checked on the new site by the next cycle, and
    the digest still comes once, after the last series of the relink is loaded."""
    from dataclasses import replace as with_values

    from bato_desktop.engine.client import BatoClient
    from bato_desktop.engine.service import ScrapingService
    from bato_desktop.settings import Settings

    old, new = sites
    settings = with_values(Settings(), min_delay=0.0, max_delay=0.01, rate_limit_delay=0.2)
    old.add_series(110100, "The Last Archmage", chapters=10, start=START)
    old.add_series(110200, "Iron Cook", chapters=4, start=START)
    with BatoClient([old.url], timeout=2.0) as client:
        service = ScrapingService(repo, client, settings)
        service.add_series(OLD["a"], 1001)
        service.add_series(OLD["b"], 1002)
    new_site(new)
    now = datetime.now(UTC)
    batch = repo.relinks.next_batch()
    repo.relinks.move(
        OLD["a"],
        "xcomic:vg7ypp",
        new.url + "/comic/vg7ypp",
        batch=batch,
        match_kind="anilist",
        reason="AniList id 1001 matches",
        now=now,
    )
    repo.relinks.move(
        OLD["b"],
        "xcomic:ir0nck",
        new.url + "/comic/ir0nck",
        batch=batch,
        match_kind="pick",
        reason="picked",
        now=now,
    )
    with BatoClient([new.url], timeout=2.0) as client:
        service = ScrapingService(repo, client, settings)
        new.inject("429", count=1)
        assert service.run_cycle().rate_limited_until is not None
        assert {s.relink_pending for s in repo.tracked_series()} == {True}
        assert repo.list_notifications(limit=10) == []
        time.sleep(0.25)  # the 429 pause (rate_limit_delay) is over; it backed A off
        repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
        assert service.run_cycle().succeeded == 2
    notes = repo.list_notifications(limit=10)
    assert [n.message for n in notes] == ["While Bato was away: 4 new chapters in 2 series"]
    assert {s.relink_pending for s in repo.tracked_series()} == {False}


@pytest.mark.mariadb
def test_the_web_apps_link_is_never_overwritten(
    sites: tuple[FakeBato, FakeBato],
    mariadb_url: str,
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.fixtures.database import mariadb_connect

    _old, new = sites
    new_site(new)
    Path(os.environ["BATO_CONFIG_DIR"], "settings.json").write_text(json.dumps(FAST))
    monkeypatch.setenv("BATO_API_URL", new.url)
    open_repo(mariadb_url)
    database = mariadb_url.rsplit("/", 1)[1]
    with mariadb_connect(database) as admin, admin.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE manga_list (id_default INT AUTO_INCREMENT PRIMARY KEY, "
            "id_anilist INT NOT NULL, title_english VARCHAR(255), "
            "title_romaji VARCHAR(255), status VARCHAR(255), "
            "last_updated_on_site TIMESTAMP NULL, bato_link TEXT)"
        )
        cursor.execute(
            "INSERT INTO manga_list (id_anilist, title_english, bato_link) "
            "VALUES (1001, 'The Last Archmage', %s)",
            (OLD["a"],),
        )
    assert main(["--database", mariadb_url, "relink", "--apply", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [m["new_id"] for m in out["moved"]] == ["xcomic:vg7ypp"]
    assert out["digest"] == "Relinked 1 series: no chapter was released while Bato was away"
    with mariadb_connect(database) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT bato_link FROM manga_list")
        assert cursor.fetchall() == ((OLD["a"],),)  # the web app's row is read, never written
    other_device = open_repo(mariadb_url)
    [series] = other_device.tracked_series()
    assert series.check_id == "xcomic:vg7ypp" and series.bato_link == OLD["a"]


def series(anilist_id: int = 7) -> TrackedSeries:
    return TrackedSeries(bato_link="https://bato.to/title/1", bato_id="1", anilist_id=anilist_id)


def hit(
    key: str, name: str, *, anilist: int | None = None, lang: str = "en", alts: tuple[str, ...] = ()
) -> SearchHit:
    return SearchHit(SeriesKey.xcomic(key), name, alts, lang, anilist, f"https://x/comic/{key}")


def test_how_sure_each_match_is_and_why() -> None:
    titles = ["The Last Archmage", "Last Archmage (Official)"]
    plan = judge(series(), titles, [hit("aa1", "the last archmage!")], ["en"])
    assert (plan.verdict, plan.best and plan.best.kind) == (Verdict.PICK, MatchKind.EXACT_TITLE)
    plan = judge(
        series(), titles, [hit("aa1", "Other", alts=("Last Archmage (official)",))], ["en"]
    )
    assert plan.best is not None and plan.best.kind is MatchKind.ALT_TITLE
    plan = judge(series(), titles, [hit("aa1", "The Last Archmagee")], ["en"])
    assert plan.best is not None and plan.best.kind is MatchKind.SIMILAR_TITLE
    plan = judge(
        series(), titles, [hit("aa1", "The Last Archmage"), hit("bb2", "The Last Archmage")], ["en"]
    )
    assert plan.verdict is Verdict.AMBIGUOUS
    plan = judge(series(), titles, [hit("aa1", "The Last Archmage", anilist=99)], ["en"])
    assert plan.verdict is Verdict.UNMATCHED  # the site says it is another work
    plan = judge(
        series(),
        titles,
        [hit("es1", "x", anilist=7, lang="es"), hit("en1", "x", anilist=7)],
        ["en", "es"],
    )
    assert plan.verdict is Verdict.AUTO and plan.best is not None
    assert plan.best.key.series_id == "en1"  # the first language's edition
    assert normalize_title("Café  Déjà-Vu!") == "cafe deja vu"

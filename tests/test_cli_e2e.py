"""End to end, headless: the CLI against the fake Bato server over real HTTP, on both backends.

Tiny delays come from the settings file, so no test sleeps the real 4–7 s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bato_desktop.cli import main
from bato_desktop.db import Repository
from bato_desktop.devtools.fake_bato import FakeBato

FAST = {
    "min_delay": 0.0,
    "max_delay": 0.01,
    "retry_backoff_max": 0.05,
    "request_timeout": 2.0,
    "retry_max_attempts": 3,
}


@pytest.fixture
def cli(
    fake_bato: FakeBato,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Any]:
    config = Path(os.environ["BATO_CONFIG_DIR"]) / "settings.json"
    config.write_text(json.dumps(FAST), encoding="utf-8")
    monkeypatch.setenv("BATO_API_URL", fake_bato.url)

    def run(*args: str, json_out: bool = False, code: int = 0, stderr: bool = False) -> Any:
        capsys.readouterr()
        assert main(["--database", database_url, *args]) == code
        captured = capsys.readouterr()
        if stderr:
            return captured.err
        return json.loads(captured.out) if json_out else captured.out

    return run


def make_all_due(repo: Repository) -> None:
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))


def test_add_run_detect_exactly_once(
    cli: Callable[..., Any],
    fake_bato: FakeBato,
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    fake_bato.add_series(110100, "Weekly Hero", chapters=10)
    fake_bato.add_series(110200, "Batch Dump", chapters=5)
    fake_bato.add_series(110300, "Nearly Done", chapters=20)
    for bato_id in (110100, 110200, 110300):
        assert "Tracking" in cli("add", f"https://bato.to/title/{bato_id}-slug")
    listed = cli("list", "--json", json_out=True)
    assert {(row["name"], row["chapters"]) for row in listed} == {
        ("Weekly Hero", 10),
        ("Batch Dump", 5),
        ("Nearly Done", 20),
    }
    assert cli("notifications", "--json", json_out=True) == []  # first loads notify nothing

    assert "0/0 checked" in cli("run", "--once")  # nothing due right after adding

    fake_bato.add_chapters(110100, 1)
    fake_bato.add_chapters(110200, 4)
    fake_bato.set_status(110300, "completed")
    fake_bato.reupload_chapter(110100, "ch_3")  # a new id, same chapter: not new
    fake_bato.delete_chapter(110200, "ch_1")  # deletions and reorders are not new either
    repo = open_repo(database_url)
    make_all_due(repo)
    before = datetime.now(UTC)
    cli("run", "--once")
    notes = cli("notifications", "--json", json_out=True)
    assert sorted((n["series"], n["type"], n["message"]) for n in notes) == [
        ("Batch Dump", "batch_update", "4 new chapters available: Chapter 6 - Chapter 9"),
        ("Nearly Done", "status_change", "Status changed from 'ongoing' to 'completed'"),
        ("Weekly Hero", "new_chapter", "New chapter available: Chapter 11"),
    ]
    assert all(n["url"] is None or n["url"].startswith(fake_bato.url) for n in notes)
    for series in repo.tracked_series():
        schedule = repo.get_schedule(series.bato_link)
        assert schedule is not None and schedule.next_scrape_at > before
    # again: nothing new, no duplicates
    make_all_due(repo)
    cli("run", "--once")
    assert len(cli("notifications", "--json", json_out=True)) == 3
    stats = cli("stats", "--json", json_out=True)
    assert stats["total_jobs"] == 9 and stats["successful"] == 9 and stats["new_chapters"] == 5
    assert stats["series_tracked"] == 3 and stats["warning"] is None
    assert "success" in cli("logs")
    assert cli("read", "--all").startswith("Marked 3")
    assert cli("notifications", "--unread", "--json", json_out=True) == []


def test_faults_lose_nothing_and_reschedule(
    cli: Callable[..., Any],
    fake_bato: FakeBato,
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    fake_bato.add_series(120100, "Flaky", chapters=3)
    fake_bato.add_series(120200, "Limited", chapters=3)
    cli("add", "120100")
    cli("add", "120200")
    repo = open_repo(database_url)
    fake_bato.add_chapters(120100, 1)
    fake_bato.add_chapters(120200, 1)

    # 500 on every attempt: the series fails, is logged with its status and rescheduled
    make_all_due(repo)
    fake_bato.inject("500", count=3)
    now = datetime.now(UTC)
    out = cli("run", "--once", "--limit", "1")
    assert "1 failed" in out
    failed = [
        s
        for s in repo.tracked_series()
        if (repo.get_schedule(s.bato_link) or None)
        and repo.get_schedule(s.bato_link).last_status == "failed"  # type: ignore[union-attr]
    ]
    assert len(failed) == 1
    schedule = repo.get_schedule(failed[0].bato_link)
    assert schedule is not None and schedule.next_scrape_at > now
    assert "500" in (schedule.last_error or "")

    # 429: everything pauses for Retry-After, the series is rescheduled after the pause
    fake_bato.inject("429", retry_after=90)
    make_all_due(repo)
    out = cli("run", "--once")
    limited = repo.recent_logs(hours=1, status="rate_limited")
    assert len(limited) == 1 and "429" in (limited[0].error_message or "")
    assert repo.shared_rate_limit_until() is not None
    assert cli("run", "--once").startswith("Cycle done: 0/0")  # still paused: no requests
    assert len([r for r in fake_bato.requests if r.method == "POST"]) >= 1

    # after the pause both series are checked and their new chapters found: nothing lost
    repo.m.engine_state.delete().execute()  # the pause is over
    make_all_due(repo)
    cli("run", "--once")
    notes = cli("notifications", "--json", json_out=True)
    assert sorted(n["message"] for n in notes) == ["New chapter available: Chapter 4"] * 2
    # a third of 6 checks failed: too few checks to call that an error rate
    stats = cli("stats", "--json", json_out=True)
    assert (stats["total_jobs"], stats["failed"], stats["rate_limited"]) == (6, 1, 1)
    assert stats["warning"] is None


def test_error_monitor_warns_once_over_a_real_sample(
    cli: Callable[..., Any],
    fake_bato: FakeBato,
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    ids = [str(125100 + i) for i in range(8)]
    for bato_id in ids:
        fake_bato.add_series(bato_id, f"Sampled {bato_id}", chapters=2)
        cli("add", bato_id)
    repo = open_repo(database_url)
    for _ in range(2):  # 16 more checks, 6 of them failing (500 on every attempt)
        make_all_due(repo)
        fake_bato.inject("500", count=9)
        cli("run", "--once")
    stats = cli("stats", "--json", json_out=True)
    assert stats["total_jobs"] == 24 and stats["failed"] == 6
    assert "25.0% of 24 checks failed" in stats["warning"]
    notes = cli("notifications", "--json", json_out=True)
    [warning] = [n for n in notes if n["type"] == "system_warning"]  # one, not one per cycle
    assert warning["bato_link"] is None and warning["series"] == "Bato Desktop"


def test_bad_input_gets_clear_messages(cli: Callable[..., Any], fake_bato: FakeBato) -> None:
    err = cli("add", "https://example.com/nothing", code=1, stderr=True)
    assert "Not a Bato series link: 'https://example.com/nothing'" in err
    assert "Not in the library" in cli("check", "https://bato.to/title/999-x", code=1, stderr=True)
    fake_bato.inject("html", status=200)
    fake_bato.add_series(140100, "Shielded", chapters=2)
    err = cli("add", "140100", code=1, stderr=True)
    assert "first load failed" in err and "HTTP 200" in err


@pytest.mark.slow
def test_run_daemon_stops_on_sigterm(fake_bato: FakeBato, sqlite_url: str, tmp_path: Path) -> None:
    """The headless daemon: SIGTERM during a pause finishes cleanly with exit 0."""
    fake_bato.add_series(130100, "Daemon", chapters=2)
    fake_bato.add_series(130200, "Daemon 2", chapters=2)
    add_env = {**os.environ, "BATO_API_URL": fake_bato.url}
    env = {
        **os.environ,
        "BATO_API_URL": fake_bato.url,
        "BATO_MIN_DELAY": "300",
        "BATO_MAX_DELAY": "300",
    }
    base = [sys.executable, "-m", "bato_desktop", "--database", sqlite_url]
    for bato_id in ("130100", "130200"):
        subprocess.run(
            [*base, "add", bato_id], env=add_env, check=True, capture_output=True, timeout=60
        )
    subprocess.run([*base, "db", "migrate"], env=env, check=True, capture_output=True)
    import sqlite3

    db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    db.execute("UPDATE bato_scraping_schedule SET next_scrape_at = '2000-01-01 00:00:00'")
    db.commit()
    db.close()
    fake_bato.clear_requests()
    proc = subprocess.Popen(
        [*base, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        assert proc.stdout is not None
        while time.monotonic() < deadline:  # wait for the first series, then the long pause
            line = proc.stdout.readline()
            if line.startswith("[success]"):
                break
        else:
            pytest.fail("the daemon checked nothing")
        time.sleep(0.5)  # into the 300 s politeness pause
        checked = [r for r in fake_bato.requests if r.method == "POST"]
        proc.send_signal(signal.SIGTERM)
        # liveness only: an uninterrupted pause would last 300 s, far beyond this
        assert proc.wait(timeout=60) == 0
        # the stop ended the pause: the second series was never asked for
        assert [r for r in fake_bato.requests if r.method == "POST"] == checked
        assert len(checked) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_per_series_control_and_error_list(
    cli: Callable[..., Any],
    fake_bato: FakeBato,
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    fake_bato.add_series(180100, "Controlled", chapters=3)
    fake_bato.add_series(180200, "Broken", chapters=3)
    cli("add", "180100")
    cli("add", "180200")
    out = cli(
        "set",
        "180100",
        "--mute",
        "--priority",
        "3",
        "--notify-after",
        "2",
        "--pause-until",
        "2031-01-01",
    )
    assert "muted, notify after 2 chapter(s), priority 3, paused until 2031-01-01" in out
    [row] = [r for r in cli("list", "--json", json_out=True) if r["bato_id"] == "180100"]
    assert row["muted"] and row["next_check"][:10] in ("2030-12-31", "2031-01-01")
    assert "resumed" in cli("set", "180100", "--resume")
    with pytest.raises(SystemExit):
        cli("set", "180100", "--priority", "5")

    repo = open_repo(database_url)
    fake_bato.remove_series(180200)
    make_all_due(repo)
    cli("run", "--once")
    errors = cli("errors", "--json", json_out=True)
    assert [(e["name"], e["count"]) for e in errors] == [("Broken", 1)]
    assert "not found" in errors[0]["error"]
    assert "1 failing series will be retried" in cli("errors", "--retry")
    assert [d.bato_link for d in repo.due_series()] == [errors[0]["bato_link"]]
    explained = cli("explain", "180200")
    assert "Failures:" in explained and "not found" in explained


@pytest.fixture
def forget_passwords() -> Iterator[None]:
    from bato_desktop.db import connection

    connection.forget_passwords()
    yield
    connection.forget_passwords()


@pytest.mark.mariadb
def test_old_database_uri_scheme_works(
    mariadb_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    forget_passwords: None,
) -> None:
    """The old system's DATABASE_URI (mysql+pymysql, password inline) opens the database."""
    old_style = mariadb_url.replace("mysql://root@", "mysql+pymysql://root:@", 1)
    monkeypatch.setenv("DATABASE_URI", old_style)
    assert main(["list"]) == 0
    assert "library is empty" in capsys.readouterr().out


def test_environment_password_never_reaches_messages_logs_or_files(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    forget_passwords: None,
) -> None:
    monkeypatch.setenv("DATABASE_URI", "mysql+pymysql://root:topsecret@127.0.0.1:1/old")
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert "Cannot open the database mysql+pymysql://root@127.0.0.1:1/old" in err
    assert "topsecret" not in err
    for name in ("BATO_LOG_DIR", "BATO_CONFIG_DIR"):
        for file in Path(os.environ[name]).rglob("*"):
            if file.is_file():
                assert "topsecret" not in file.read_text(encoding="utf-8", errors="replace")


def test_one_series_whatever_the_link_form(
    cli: Callable[..., Any],
    fake_bato: FakeBato,
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    fake_bato.add_series(110100, "Same One", chapters=4)
    cli("add", "https://bato.to/title/110100-x")
    requests = len(fake_bato.requests)
    for again in ("110100", "https://batotwo.com/title/110100-other-slug"):
        assert "already tracked as https://bato.to/title/110100-x" in cli("add", again)
    assert len(fake_bato.requests) == requests  # no second "first load"
    assert [r["bato_link"] for r in cli("list", "--json", json_out=True)] == [
        "https://bato.to/title/110100-x"
    ]
    repo = open_repo(database_url)
    assert repo.m.library.select().count() == 1 and repo.m.details.select().count() == 1
    assert "Same One: 4 chapters" in cli("check", "110100")


def test_a_failed_first_load_leaves_nothing_that_breaks_a_later_add(
    cli: Callable[..., Any],
    fake_bato: FakeBato,
) -> None:
    fake_bato.add_series(110500, "Late Bloomer", chapters=2)
    fake_bato.inject("html", status=403)
    assert "first load failed" in cli("add", "https://bato.to/title/110500-x", code=1, stderr=True)
    assert "Tracking Late Bloomer: 2 chapters loaded" in cli("add", "110500")
    [row] = cli("list", "--json", json_out=True)
    assert (row["bato_link"], row["chapters"]) == ("https://bato.to/title/110500-x", 2)


def test_an_anilist_id_is_refused_for_a_second_series(
    cli: Callable[..., Any],
    fake_bato: FakeBato,
) -> None:
    fake_bato.add_series(111100, "First", chapters=1)
    fake_bato.add_series(111200, "Second", chapters=1)
    cli("add", "111100", "--anilist-id", "5")
    err = cli("add", "111200", "--anilist-id", "5", code=1, stderr=True)
    assert "AniList id 5 is already used by 111100" in err
    rows = cli("list", "--json", json_out=True)
    assert [(r["bato_id"], r["anilist_id"], r["next_check"] is not None) for r in rows] == [
        ("111100", 5, True)
    ]


def test_check_and_add_wait_out_a_429_pause(
    cli: Callable[..., Any],
    fake_bato: FakeBato,
    database_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    fake_bato.add_series(112100, "Tracked", chapters=2)
    fake_bato.add_series(112200, "Newcomer", chapters=2)
    cli("add", "112100")
    until = datetime.now(UTC) + timedelta(minutes=30)
    open_repo(database_url).set_shared_rate_limit_until(until)  # another engine got a 429
    fake_bato.clear_requests()
    shown = until.astimezone().strftime("%Y-%m-%d %H:%M")
    err = cli("check", "112100", code=1, stderr=True)
    assert "Bato asked to wait (HTTP 429) until" in err and shown in err
    err = cli("add", "https://bato.to/title/112200-new", code=1, stderr=True)
    assert "Added https://bato.to/title/112200-new, but Bato asked to wait" in err
    assert "first load runs after the pause" in err
    assert fake_bato.requests == []  # nothing was sent
    [row] = [r for r in cli("list", "--json", json_out=True) if r["bato_id"] == "112200"]
    assert datetime.fromisoformat(row["next_check"]) > until and row["chapters"] == 0


def test_list_json_shows_a_hiatus_pause(cli: Callable[..., Any], fake_bato: FakeBato) -> None:
    fake_bato.add_series(113100, "Resting", chapters=1)
    cli("add", "113100")
    assert [r["paused"] for r in cli("list", "--json", json_out=True)] == [False]
    cli("set", "113100", "--pause-until", "2031-01-01")
    assert [r["paused"] for r in cli("list", "--json", json_out=True)] == [True]
    assert "(paused)" in cli("list")
    cli("set", "113100", "--resume")
    assert [r["paused"] for r in cli("list", "--json", json_out=True)] == [False]


def test_import_names_json_items_and_csv_lines(
    cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    items = tmp_path / "library.json"
    items.write_text(
        json.dumps(
            [
                {"bato_link": "https://bato.to/title/114100-a"},
                {"name": "no link"},
                "https://google.com/title/114300",
                {"bato_link": "https://bato.to/title/114400-d", "anilist_id": 7},
                {"bato_link": "https://bato.to/title/114500-e", "anilist_id": 7},
            ],
            indent=2,
        ),
        encoding="utf-8",
    )
    err = cli("import", str(items), stderr=True)
    assert f"{items}: item 2: no bato_link" in err
    assert f"{items}: item 3: Not a Bato series link" in err
    assert "https://bato.to/title/114500-e: AniList id 7 is already used by" in err
    table = tmp_path / "library.csv"
    table.write_text(
        "\nbato_link,anilist_id\nhttps://bato.to/title/114600-f,\nftp://x/title/1,\n",
        encoding="utf-8",
    )
    err = cli("import", str(table), stderr=True)
    assert f"{table}: line 4: Not a Bato series link: 'ftp://x/title/1'" in err
    assert sorted(r["bato_id"] for r in cli("list", "--json", json_out=True)) == [
        "114100",
        "114400",
        "114600",
    ]


def test_read_of_an_unknown_notification_says_so(cli: Callable[..., Any]) -> None:
    assert "No notification #999" in cli("read", "999", code=1, stderr=True)


@pytest.mark.mariadb
def test_remove_refuses_a_series_of_the_web_apps_reading_list(
    mariadb_url: str,
    fake_bato: FakeBato,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    open_repo: Callable[[str], Repository],
) -> None:
    from tests.fixtures.database import mariadb_connect

    link = "https://bato.to/title/115100-shared-hero"
    repo = open_repo(mariadb_url)
    with mariadb_connect(mariadb_url.rsplit("/", 1)[1]) as conn, conn.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE manga_list (id_default INT AUTO_INCREMENT PRIMARY KEY, "
            "id_anilist INT NOT NULL, title_english VARCHAR(255), "
            "title_romaji VARCHAR(255), status VARCHAR(255), "
            "last_updated_on_site TIMESTAMP NULL, bato_link TEXT)"
        )
        cursor.execute(
            "INSERT INTO manga_list (id_anilist, title_english, bato_link) "
            f"VALUES (30013, 'Shared Hero', '{link}')"
        )
    fake_bato.add_series(115100, "Shared Hero", chapters=3)
    Path(os.environ["BATO_CONFIG_DIR"], "settings.json").write_text(json.dumps(FAST))
    monkeypatch.setenv("BATO_API_URL", fake_bato.url)
    assert main(["--database", mariadb_url, "run", "--once"]) == 0  # the web app's series
    assert repo.chapter_count(link) == 3
    capsys.readouterr()
    assert main(["--database", mariadb_url, "remove", "115100"]) == 1
    err = capsys.readouterr().err
    assert "tracked by the web app's reading list (manga_list.bato_link)" in err
    assert repo.chapter_count(link) == 3 and repo.get_details(link) is not None
    assert [s.bato_link for s in repo.tracked_series()] == [link]


def test_check_with_every_mirror_down_is_offline_not_a_failure(
    cli: Callable[..., Any],
    fake_bato: FakeBato,
    database_url: str,
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_bato.add_series(116100, "Unplugged", chapters=2)
    cli("add", "116100")
    before = open_repo(database_url).get_schedule("116100")
    import socket

    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("BATO_API_URL", dead)
    err = cli("check", "116100", code=1, stderr=True)
    assert "Unplugged: offline: No Bato host reachable" in err and "stays due" in err
    repo = open_repo(database_url)
    assert repo.get_schedule("116100") == before  # no failure back-off
    stats = cli("stats", "--json", json_out=True)
    assert (stats["total_jobs"], stats["failed"]) == (1, 0)  # the add; the offline try is no error

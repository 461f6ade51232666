"""Fault tests: every failure ends with a clear message and no lost or duplicated data."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bato_desktop.cli import main
from bato_desktop.db import Repository
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.errors import BatoRequestError
from bato_desktop.engine.events import EngineEvent, SeriesChecked
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings
from tests.fixtures.database import mariadb_connect

FAST = replace(Settings(), min_delay=0.0, max_delay=0.01, retry_backoff_max=0.02,
               request_timeout=1.0)


def service_for(repo: Repository, fake: FakeBato, events: list[EngineEvent] | None = None,
                settings: Settings = FAST) -> tuple[ScrapingService, BatoClient]:
    client = BatoClient([fake.url], timeout=settings.request_timeout)
    sink = events.append if events is not None else (lambda _e: None)
    return ScrapingService(repo, client, settings, events=sink, backoff_base=0.01), client


def load(service: ScrapingService, fake: FakeBato, ids: list[str], chapters: int = 3) -> None:
    for bato_id in ids:
        fake.add_series(bato_id, f"Series {bato_id}", chapters=chapters)
        assert service.add_series(bato_id).status == "success"


def due_all(repo: Repository) -> None:
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("kind", "options", "expected"),
    [
        ("html", {"status": 200}, "HTTP 200"),
        ("html", {"status": 403}, "HTTP 403"),
        ("truncated", {}, "HTTP 200"),
        ("graphql_error", {"message": "Internal server error"}, "Internal server error"),
    ],
)
def test_bad_answers_fail_the_series_with_a_clear_message(
    repo: Repository, fake_bato: FakeBato, kind: str, options: dict[str, object], expected: str,
) -> None:
    service, client = service_for(repo, fake_bato)
    with client:
        load(service, fake_bato, ["170100"])
        fake_bato.add_chapters("170100", 1)
        due_all(repo)
        fake_bato.inject(kind, **options)  # not retried: a block page is not transient
        report = service.run_cycle()
        assert report.failed == 1
        [log] = repo.recent_logs(hours=1, status="failed")
        assert expected in (log.error_message or "")
        assert repo.chapter_count("170100") == 3  # nothing half-stored
        due_all(repo)
        assert service.run_cycle().new_chapters == 1  # and nothing lost


def test_429_storm_never_hammers(repo: Repository, fake_bato: FakeBato) -> None:
    service, client = service_for(repo, fake_bato)
    with client:
        load(service, fake_bato, [str(171100 + i) for i in range(5)])
        due_all(repo)
        fake_bato.clear_requests()
        fake_bato.inject("429", count=50, retry_after=1)
        for _ in range(5):
            service.run_cycle()
        assert len(fake_bato.requests) == 1  # one 429, then everything waits
        time.sleep(1.1)
        service.run_cycle()
        assert len(fake_bato.requests) == 2  # one polite try after the pause


def test_ten_second_stall_times_out_and_is_rescheduled(
    repo: Repository, fake_bato: FakeBato
) -> None:
    service, client = service_for(repo, fake_bato)
    with client:
        load(service, fake_bato, ["172100"])
        due_all(repo)
        fake_bato.inject("timeout", count=3, delay=10)
        started = time.monotonic()
        report = service.run_cycle()
        assert time.monotonic() - started < 6  # 3 attempts x 1 s timeout, not 30 s
        assert report.failed == 1
        schedule = repo.get_schedule("172100")
        assert schedule is not None and schedule.next_scrape_at > datetime.now(UTC)
        assert "timed out" in (schedule.last_error or "").lower() or "timeout" in (
            schedule.last_error or "").lower()


@pytest.mark.mariadb
def test_mariadb_connection_lost_mid_cycle(
    mariadb_url: str, fake_bato: FakeBato, open_repo: Callable[[str], Repository]
) -> None:
    """The server drops the engine's connection between series (as a restart does): the engine
    reconnects and the cycle goes on; nothing is lost or duplicated."""
    repo = open_repo(mariadb_url)
    armed: list[bool] = []

    def kill_connection(event: EngineEvent) -> None:
        if armed and isinstance(event, SeriesChecked):
            connection_id = repo.database.execute_sql("SELECT CONNECTION_ID()").fetchone()[0]
            with mariadb_connect() as admin, admin.cursor() as cursor:
                cursor.execute(f"KILL {connection_id}")

    client = BatoClient([fake_bato.url], timeout=FAST.request_timeout)
    service = ScrapingService(repo, client, FAST, events=kill_connection, backoff_base=0.01)
    ids = [str(173100 + i) for i in range(4)]
    with client:
        load(service, fake_bato, ids)
        for bato_id in ids:
            fake_bato.add_chapters(bato_id, 1)
        due_all(repo)
        armed.append(True)
        report = service.run_cycle()
        assert (report.checked, report.new_chapters, report.error) == (4, 4, None)
    notes = repo.list_notifications()
    assert sorted(n.message for n in notes) == ["New chapter available: Chapter 4"] * 4
    assert all(repo.chapter_count(i) == 4 for i in ids)


def test_sigkill_mid_cycle_leaves_no_partial_series(
    fake_bato: FakeBato, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    open_repo: Callable[[str], Repository],
) -> None:
    ids = [str(174100 + i) for i in range(3)]
    for bato_id in ids:
        fake_bato.add_series(bato_id, f"Killed {bato_id}", chapters=3)
    monkeypatch.setenv("BATO_API_URL", fake_bato.url)
    for bato_id in ids:
        assert main(["--database", sqlite_url, "add", bato_id]) == 0
    for bato_id in ids:
        fake_bato.add_chapters(bato_id, 2)
    repo = open_repo(sqlite_url)
    due_all(repo)
    config = tmp_path / "engine-config"
    config.mkdir()
    fast = {"min_delay": 0.0, "max_delay": 0.01, "request_timeout": 30.0, "lease_seconds": 5}
    (config / "settings.json").write_text(json.dumps(fast))
    Path(os.environ["BATO_CONFIG_DIR"], "settings.json").write_text(json.dumps(fast))
    env = {**os.environ, "BATO_API_URL": fake_bato.url, "BATO_CONFIG_DIR": str(config)}
    fake_bato.clear_requests()
    fake_bato.inject("timeout", count=1, delay=30)  # the first check hangs mid-request
    proc = subprocess.Popen([sys.executable, "-m", "bato_desktop", "--database", sqlite_url,
                             "run", "--once"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not fake_bato.requests:
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # no partial series: every series has either its old 3 chapters or all 5
    counts = {i: repo.chapter_count(i) for i in ids}
    assert set(counts.values()) <= {3, 5}
    time.sleep(5.2)  # the dead engine's lease expires
    assert main(["--database", sqlite_url, "run", "--once"]) == 0
    assert {i: repo.chapter_count(i) for i in ids} == dict.fromkeys(ids, 5)
    notes = repo.list_notifications()
    assert len(notes) == 6  # two new chapters per series, each announced once
    assert len({(n.bato_link, n.message) for n in notes}) == 6


def test_unreadable_settings_file_stops_with_its_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = Path(os.environ["BATO_CONFIG_DIR"]) / "settings.json"
    path.write_text('{"min_delay": 9, "max_delay": 2}', encoding="utf-8")
    assert main(["list"]) == 2
    err = capsys.readouterr().err
    assert "max_delay" in err and str(path) in err
    path.write_text("{not json", encoding="utf-8")
    assert main(["list"]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "{not json"  # the user's file is left alone


def test_database_file_locked_by_another_process(
    sqlite_url: str, open_repo: Callable[[str], Repository],
) -> None:
    repo = open_repo(sqlite_url)
    repo.add_series("https://bato.to/title/1-a", "1")
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        repo.database.execute_sql("PRAGMA busy_timeout = 200")
        with pytest.raises(Exception, match="locked"):
            repo.add_series("https://bato.to/title/2-b", "2")
    finally:
        blocker.rollback()
        blocker.close()
    assert [s.bato_id for s in repo.tracked_series()] == ["1"]


def test_client_error_messages_name_the_status(fake_bato: FakeBato) -> None:
    fake_bato.add_series("175100", "X", chapters=1)
    with BatoClient([fake_bato.url], timeout=1.0) as client:
        for kind, options in (("500", {}), ("429", {}), ("html", {"status": 403})):
            fake_bato.inject(kind, **options)
            with pytest.raises(BatoRequestError, match="HTTP"):
                client.fetch_series("175100")


def test_gui_launch_with_broken_settings_shows_a_dialog(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bato_desktop import cli

    shown: list[str] = []
    monkeypatch.setattr(cli, "show_startup_error", shown.append)
    path = Path(os.environ["BATO_CONFIG_DIR"]) / "settings.json"
    path.write_text('{"poll_interval": "often"}', encoding="utf-8")
    assert cli.main([]) == 2
    assert shown and "poll_interval" in shown[0] and str(path) in shown[0]
    assert "poll_interval" in capsys.readouterr().err

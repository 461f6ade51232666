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
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from bato_desktop.cli import main
from bato_desktop.core.errors import BatoRequestError
from bato_desktop.db import NewNotification, Repository
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.events import DomainChanged, EngineEvent, SeriesChecked
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings
from tests.fixtures.database import mariadb_connect
from tests.fixtures.unprivileged import Unprivileged, unprivileged

FAST = replace(
    Settings(), min_delay=0.0, max_delay=0.01, retry_backoff_max=0.02, request_timeout=1.0
)


def service_for(
    repo: Repository,
    fake: FakeBato,
    events: list[EngineEvent] | None = None,
    settings: Settings = FAST,
) -> tuple[ScrapingService, BatoClient]:
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
        ("html", {"status": 403, "body": "<html><body>Forbidden</body></html>"}, "HTTP 403"),
        ("truncated", {}, "HTTP 200"),
        ("graphql_error", {"message": "Internal server error"}, "Internal server error"),
    ],
)
def test_bad_answers_fail_the_series_with_a_clear_message(
    repo: Repository,
    fake_bato: FakeBato,
    kind: str,
    options: dict[str, Any],
    expected: str,
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


def test_a_challenge_blocks_the_domain_not_the_series(
    repo: Repository,
    fake_bato: FakeBato,
) -> None:
    """A Cloudflare browser check is the domain's state, not the series' failure: the cycle
    ends, nothing is counted as an error or backed off, the series stays due and is checked
    as soon as the domain answers again."""
    events: list[EngineEvent] = []
    service, client = service_for(repo, fake_bato, events)
    with client:
        load(service, fake_bato, ["170200", "170201"])
        fake_bato.add_chapters("170200", 1)
        due_all(repo)
        fake_bato.clear_requests()
        fake_bato.set_mode("challenge")
        report = service.run_cycle()
        assert report.blocked and report.failed == 0 and report.new_chapters == 0
        assert len(fake_bato.requests) == 1  # the cycle stopped at the first browser check
        assert repo.stats(hours=1).failed == 0  # not an error of Bato's
        [log] = repo.recent_logs(hours=1, status="failed")
        assert (log.error_message or "").startswith("blocked:")
        assert "browser check" in (log.error_message or "")
        assert repo.count_due(datetime.now(UTC)) == 2  # both still due, nothing backed off
        notices = [e for e in events if isinstance(e, DomainChanged)]
        assert [n.state for n in notices] == ["blocked"]
        assert "open it in your browser" in notices[0].message
        fake_bato.set_mode("up")
        report = service.run_cycle()
        assert report.succeeded == 2 and report.new_chapters == 1
        assert [n.state for n in events if isinstance(n, DomainChanged)] == ["blocked", "up"]


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
        fake_bato.clear_requests()
        fake_bato.inject("timeout", count=3, delay=10)
        report = service.run_cycle()
        # The stalled answers would have arrived after 10 s and succeeded: failing means the
        # 1 s client timeout ended each of the 3 attempts instead of waiting for them.
        assert report.failed == 1 and report.succeeded == 0
        assert len(fake_bato.requests) == 3
        schedule = repo.get_schedule("172100")
        assert schedule is not None and schedule.next_scrape_at > datetime.now(UTC)
        assert (
            "timed out" in (schedule.last_error or "").lower()
            or "timeout" in (schedule.last_error or "").lower()
        )


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
    fake_bato: FakeBato,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
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
    proc = subprocess.Popen(
        [sys.executable, "-m", "bato_desktop", "--database", sqlite_url, "run", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
    sqlite_url: str,
    open_repo: Callable[[str], Repository],
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


# -- permissions that really apply: unreadable settings, read-only database --------------------

FAST_JSON = json.dumps({"min_delay": 0.0, "max_delay": 0.01, "request_timeout": 5.0})

#: A desktop start whose dialog is printed instead of waiting for a click (offscreen).
GUI_START = """
import sys
from PySide6.QtWidgets import QMessageBox

def critical(parent, title, text, *args):
    print(f"DIALOG {title}: {text}", file=sys.stderr)
    return QMessageBox.StandardButton.Ok

QMessageBox.critical = critical
from bato_desktop.cli import main
sys.exit(main([]))
"""


def workspace_env(workspace: Path, runner: Unprivileged, **extra: str) -> dict[str, str]:
    """Config, data and log folders for the unprivileged process (it may write data and log)."""
    dirs = {name: workspace / name for name in ("config", "data", "log")}
    for path in dirs.values():
        path.mkdir(exist_ok=True)
    runner.give(dirs["data"], dirs["log"])
    return {
        **os.environ,
        "BATO_CONFIG_DIR": str(dirs["config"]),
        "BATO_DATA_DIR": str(dirs["data"]),
        "BATO_LOG_DIR": str(dirs["log"]),
        "HOME": str(workspace),
        "XDG_DATA_HOME": str(dirs["data"]),
        "QT_QPA_PLATFORM": "offscreen",
        **extra,
    }


def fingerprint(path: Path) -> tuple[int, int, int, bytes]:
    info = path.stat()
    return info.st_mode, info.st_size, info.st_mtime_ns, path.read_bytes()


def test_unreadable_settings_file_stops_the_cli_and_the_app(unprivileged_dir: Path) -> None:
    runner = unprivileged()
    env = workspace_env(unprivileged_dir, runner)
    settings = Path(env["BATO_CONFIG_DIR"]) / "settings.json"
    settings.write_text(FAST_JSON, encoding="utf-8")
    settings.chmod(0)  # nobody may read it, and in these subprocesses root is nobody special
    before = fingerprint(settings)

    cli = runner.run([sys.executable, "-m", "bato_desktop", "list"], env=env)
    assert cli.returncode == 2, f"{runner.how}: {cli.stdout}{cli.stderr}"
    assert f"cannot read settings file {settings}: [Errno 13] Permission denied" in cli.stderr
    assert f"Fix or delete {settings}" in cli.stderr and "Traceback" not in cli.stderr

    gui = runner.run([sys.executable, "-c", GUI_START], env=env)
    assert gui.returncode == 2, f"{runner.how}: {gui.stdout}{gui.stderr}"
    dialog = [line for line in gui.stderr.splitlines() if line.startswith("DIALOG")]
    assert dialog and "Bato Desktop cannot start" in dialog[0], gui.stderr
    assert str(settings) in dialog[0] and "Permission denied" in dialog[0]
    assert "Traceback" not in gui.stderr
    assert fingerprint(settings) == before  # the user's file is left exactly as it was
    assert sorted(p.name for p in settings.parent.iterdir()) == ["settings.json"]


def test_unsearchable_settings_folder_is_a_message(unprivileged_dir: Path) -> None:
    runner = unprivileged()
    env = workspace_env(unprivileged_dir, runner)
    config = Path(env["BATO_CONFIG_DIR"])
    (config / "settings.json").write_text(FAST_JSON, encoding="utf-8")
    config.chmod(0)
    cli = runner.run([sys.executable, "-m", "bato_desktop", "list"], env=env)
    config.chmod(0o755)
    assert cli.returncode == 2 and "Traceback" not in cli.stderr, cli.stderr
    assert str(config / "settings.json") in cli.stderr


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_read_only_database_is_reported_and_nothing_is_lost(
    fake_bato: FakeBato,
    unprivileged_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    open_repo: Callable[[str], Repository],
    read_only: str,
) -> None:
    """A read-only database file, or a read-only folder (SQLite's WAL needs to create
    bato.db-wal and bato.db-shm beside the file): ``run --once`` says the database is
    read-only and exits 1; nothing is fetched that could not be saved, the file is unchanged,
    and the next run with the permissions back finds every new chapter."""
    runner = unprivileged()
    monkeypatch.setenv("BATO_API_URL", fake_bato.url)
    Path(os.environ["BATO_CONFIG_DIR"], "settings.json").write_text(FAST_JSON)
    folder = unprivileged_dir / "db"
    folder.mkdir()
    database = folder / "bato.db"
    url = f"sqlite:///{database}"
    ids = [str(177100 + i) for i in range(2)]
    for bato_id in ids:
        fake_bato.add_series(bato_id, f"Read-only {bato_id}", chapters=3)
        assert main(["--database", url, "add", bato_id]) == 0
        fake_bato.add_chapters(bato_id, 1)
    repo = open_repo(url)
    due_all(repo)
    repo.close()
    assert sorted(p.name for p in folder.iterdir()) == ["bato.db"]  # no WAL left behind
    before = fingerprint(database)[1:]
    if read_only == "file":
        runner.give(folder)  # the folder stays writable: only the file is read-only
        database.chmod(0o444)
    else:
        runner.give(database)  # the file itself is writable, its folder is not
        folder.chmod(0o555)
    env = workspace_env(unprivileged_dir, runner, BATO_API_URL=fake_bato.url)
    Path(env["BATO_CONFIG_DIR"], "settings.json").write_text(FAST_JSON)
    runner.give(Path(env["BATO_CONFIG_DIR"]), Path(env["BATO_CONFIG_DIR"], "settings.json"))
    fake_bato.clear_requests()

    result = runner.run(
        [sys.executable, "-m", "bato_desktop", "--database", url, "run", "--once"], env=env
    )
    output = result.stdout + result.stderr
    folder.chmod(0o755)
    database.chmod(0o644)
    assert result.returncode == 1, f"{runner.how}: {output}"
    assert "attempt to write a readonly database" in output, output
    assert "Traceback" not in output
    assert "Cycle done" not in output or " 0 ok," in output  # no check claimed as saved
    assert fake_bato.requests == []  # nothing was fetched that could not be stored
    assert fingerprint(database)[1:] == before  # not a byte written

    assert main(["--database", url, "run", "--once"]) == 0  # permissions back: all of it
    check = open_repo(url)
    assert {i: check.chapter_count(i) for i in ids} == dict.fromkeys(ids, 4)
    assert sorted(n.bato_link for n in check.list_notifications()) == ids


# -- the toast backend raising -------------------------------------------------------------------


def test_toast_backend_raising_repeats_and_loses_nothing(
    qtbot: QtBot,
    sqlite_url: str,
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The real Toaster over a plyer backend whose D-Bus call raises, for one toast and then for
    all (the notification server restarting), driven by the real poller on SQLite: nothing is
    shown twice, nothing is lost in the outage, and only the toast that fails while others
    are shown is given up (it stays in the dashboard, unread)."""
    from plyer import facades

    from bato_desktop.ui import toasts
    from bato_desktop.ui.poller import NotificationPoller

    gone = RuntimeError(
        "org.freedesktop.DBus.Error.ServiceUnknown: The name "
        "org.freedesktop.Notifications was not provided"
    )

    class FlakyDbus(facades.Notification):  # type: ignore[misc]
        def __init__(self) -> None:
            self.shown: list[str] = []
            self.down = False

        def _notify(self, **kwargs: object) -> None:
            if self.down or kwargs["title"] == "Broken":
                raise gone
            self.shown.append(str(kwargs["title"]))

    impl = FlakyDbus()
    monkeypatch.setattr(toasts, "plyer_implementation", lambda: impl)
    toaster = toasts.Toaster()
    repo = open_repo(sqlite_url)
    now = [1000.0]
    poller = NotificationPoller(
        repo,
        toaster,
        Settings(poll_interval=3600),
        do_not_disturb=lambda: False,
        monotonic=lambda: now[0],
    )
    failed: list[str] = []
    poller.poll_failed.connect(lambda value: failed.append(value))

    def add(*names: str) -> None:
        repo.create_notifications(
            [
                NewNotification(
                    anilist_id=i,
                    bato_link=f"https://bato.to/title/{i}-x",
                    notification_type="new_chapter",
                    manga_name=name,
                    message=f"{name}: new chapter",
                )
                for i, name in enumerate(names, 1)
            ]
        )

    def poll(after: float) -> None:
        now[0] += after
        with qtbot.waitSignal(poller.polled, timeout=5000):
            poller.poll_now()

    add("A", "Broken", "B")
    with qtbot.waitSignal(poller.polled, timeout=5000):
        poller.start()
    try:
        assert impl.shown == ["A", "B"]
        assert [n.manga_name for n in repo.unemitted_notifications()] == ["Broken"]
        impl.down = True  # the notification server goes away
        add("C")
        for step in (120, 5, 30, 60, 120, 240):
            poll(step)
        assert sorted(n.manga_name for n in repo.unemitted_notifications()) == ["Broken", "C"]
        assert len(failed) == 1 and "ServiceUnknown" in failed[0], failed
        impl.down = False  # back
        poll(300)
        assert impl.shown == ["A", "B", "C"]
        add("D")
        poll(10)
        add("E")
        poll(10)
        assert impl.shown == ["A", "B", "C", "D", "E"]  # each exactly once
        assert repo.unemitted_notifications() == []  # Broken given up after the cap
        assert "Giving up on notification(s)" in caplog.text
        assert repo.unread_count() == 6  # and still listed, unread, in the dashboard
        # the outage is said once; the broken toast is logged at most once per try (cap 3)
        assert caplog.text.count("Desktop notifications are not working") == 1
        assert "'C' could not be shown" not in caplog.text
        assert caplog.text.count("'Broken' could not be shown") <= 3
    finally:
        poller.stop()

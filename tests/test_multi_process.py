"""Two engine processes and three notifying devices on one real MariaDB and the fake Bato.

Everything runs at once: two ``bato-desktop run --once`` engines per cycle split the due series
while three device processes, each the real NotificationPoller in its own QThread under an
offscreen QCoreApplication with a recording toaster and its own device id, poll the same
database. Every due series is checked exactly once per cycle, every notification reaches every
device exactly once (whatever order the engines' transactions commit in), and the lease of an
engine killed mid-check is taken over after it expires.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from bato_desktop.cli import main
from bato_desktop.db import Repository, open_database
from bato_desktop.db.connection import MariaDatabase
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.settings import Settings
from bato_desktop.ui.poller import NotificationPoller, PollerThread
from bato_desktop.ui.toast_policy import Toast

pytestmark = [pytest.mark.mariadb, pytest.mark.slow]

DEVICES = ("laptop", "desktop", "server")
SETTLE_SECONDS = 2.0  # short, so the devices' marks really move while the engines write

# One device: the real poller in its own thread, a toaster and a repository that record what
# was shown and marked (one JSON object a line), a wake-up every 0.1 s. SIGTERM stops it, and
# so does losing its parent (the test) or running over a minute and a half: never an orphan.
DEVICE_SCRIPT = """
import json, os, signal, sys, threading, time
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from bato_desktop.db import Repository, open_database
from bato_desktop.settings import Settings
from bato_desktop.ui.poller import NotificationPoller, PollerThread

url, device, out_path, settle = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
out, lock = open(out_path, "a", buffering=1, encoding="utf-8"), threading.Lock()

def record(kind, **data):
    with lock:
        out.write(json.dumps({"kind": kind, **data}) + "\\n")

class RecordingRepository(Repository):
    def mark_emitted(self, ids, now=None):
        count = super().mark_emitted(ids, now)
        record("marked", ids=list(ids))
        return count

class Toaster:
    native = True
    def show(self, toast):
        record("toast", title=toast.title, body=toast.body)
        return True

def open_store():
    repo = RecordingRepository(open_database(url, password_lookup=lambda _i: None),
                               device_id=device, device_name=device)
    repo.settle_seconds = settle
    return repo

class Waker(QObject):
    wake = Signal()

app = QCoreApplication([])
poller = NotificationPoller(open_store, Toaster(), Settings(poll_interval=3600),
                            do_not_disturb=lambda: False, tray_available=True)
polls = []
poller.polled.connect(lambda: polls.append(1) or (len(polls) == 1 and record("ready")))
poller.poll_failed.connect(lambda message: record("failed", message=message))
thread = PollerThread(poller)
waker = Waker()
waker.wake.connect(poller.poll_now)  # queued into the poller's thread, like the engine's signal
parent, deadline = os.getppid(), time.monotonic() + 90

def tick():  # Python code in the main thread now and then also lets SIGTERM's handler run
    if os.getppid() != parent or time.monotonic() > deadline:
        app.quit()
    waker.wake.emit()

timer = QTimer()
timer.timeout.connect(tick)
timer.start(100)
signal.signal(signal.SIGTERM, lambda *_: app.quit())
thread.start()
app.exec()
record("stopped", clean=thread.stop(5000))
"""


def engine_env(fake: FakeBato, tmp: Path, name: str, **extra: str) -> dict[str, str]:
    config = tmp / f"config-{name}"
    config.mkdir(exist_ok=True)
    (config / "settings.json").write_text(
        json.dumps(
            {
                "min_delay": 0.3,
                "max_delay": 0.4,
                "retry_backoff_max": 0.05,
                "request_timeout": 1.0,
                "device_id": f"engine-{name}",
            }
        ),
        encoding="utf-8",
    )
    return {**os.environ, "BATO_API_URL": fake.url, "BATO_CONFIG_DIR": str(config), **extra}


def engine(url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bato_desktop", "--database", url, "run", "--once"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def fetched_ids(fake: FakeBato) -> Counter[str]:
    return Counter(str(r.variables.get("id")) for r in fake.requests if r.method == "POST")


def records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [
        json.loads(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.endswith("}")
    ]


def marked(path: Path) -> list[int]:
    return [i for r in records(path) if r["kind"] == "marked" for i in r["ids"]]


def stopped(process: subprocess.Popen[str]) -> str:
    """The output of a device process told to stop; killed if it does not."""
    try:
        return process.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0] + "\n(killed: did not stop on SIGTERM)"


def wait_for(what: str, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting after {timeout:.0f} s: {what}")
        time.sleep(0.05)


def run_cycle(url: str, fake: FakeBato, tmp: Path, ids: list[str]) -> list[str]:
    """Both engines at once over the due series; returns their outputs."""
    fake.clear_requests()
    engines = [engine(url, engine_env(fake, tmp, name)) for name in ("a", "b")]
    outputs = [p.communicate(timeout=60)[0] for p in engines]
    assert [p.returncode for p in engines] == [0, 0], outputs
    assert fetched_ids(fake) == Counter(dict.fromkeys(ids, 1)), outputs  # each exactly once
    checked = [int(out.split("Cycle done: ")[1].split("/")[0]) for out in outputs]
    assert sum(checked) == len(ids) and all(checked), outputs  # both engines did part of it
    return outputs


def test_engines_split_work_while_devices_each_get_everything_once(
    mariadb_url: str,
    fake_bato: FakeBato,
    tmp_path: Path,
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [str(150100 + i) for i in range(12)]
    for bato_id in ids:
        fake_bato.add_series(bato_id, f"Shared {bato_id}", chapters=4)
    monkeypatch.setenv("BATO_API_URL", fake_bato.url)
    for bato_id in ids:
        assert main(["--database", mariadb_url, "add", bato_id]) == 0
    repo = open_repo(mariadb_url)

    outs = {device: tmp_path / f"{device}.jsonl" for device in DEVICES}
    devices = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                DEVICE_SCRIPT,
                mariadb_url,
                device,
                str(outs[device]),
                str(SETTLE_SECONDS),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for device in DEVICES
    ]
    try:
        # the devices join (register, first poll) before the news arrives
        wait_for(
            "every device polled once",
            lambda: all(any(r["kind"] == "ready" for r in records(out)) for out in outs.values()),
        )
        for cycle in (1, 2):
            for bato_id in ids:
                fake_bato.add_chapters(bato_id, cycle)  # 1, then 2 new chapters per series
            repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
            run_cycle(mariadb_url, fake_bato, tmp_path, ids)  # the devices poll meanwhile
        notes = sorted(n.id for n in repo.list_notifications(limit=1000))
        assert len(notes) >= 2 * len(ids)  # every series announced something in each cycle
        wait_for(
            "every device has shown every notification",
            lambda: all(set(marked(out)) == set(notes) for out in outs.values()),
        )
        # the marks move while they deliver: every device ends with its mark at the top
        dev = repo.m.device
        wait_for(
            "every device's mark settled at the newest id",
            lambda: all(
                dev.get(dev.device_id == device).delivered_through_id == notes[-1]
                for device in DEVICES
            ),
        )
    finally:
        for process in devices:
            process.send_signal(signal.SIGTERM)
        outputs = [stopped(process) for process in devices]
    assert [p.returncode for p in devices] == [0, 0, 0], outputs
    for device, out in outs.items():
        found = records(out)
        assert Counter(marked(out)) == Counter(dict.fromkeys(notes, 1)), device  # once each
        assert [r for r in found if r["kind"] == "failed"] == [], device
        assert any(r["kind"] == "toast" for r in found), device
        assert found[-1] == {"kind": "stopped", "clean": True}, device
    assert repo.unemitted_notifications() == []  # is_emitted: shown somewhere
    logs = repo.recent_logs(hours=1, status="success")
    per_series = Counter(row.bato_link for row in logs if row.scrape_type == "scheduled")
    assert set(per_series.values()) == {2}  # two cycles, each series checked once in each


def test_killed_engine_lease_is_taken_over(
    mariadb_url: str,
    fake_bato: FakeBato,
    tmp_path: Path,
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_bato.add_series(160100, "Hung", chapters=3)
    monkeypatch.setenv("BATO_API_URL", fake_bato.url)
    assert main(["--database", mariadb_url, "add", "160100"]) == 0
    repo = open_repo(mariadb_url)
    fake_bato.add_chapters(160100, 1)
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
    fake_bato.inject("timeout", delay=30)  # the engine hangs inside the check, lease held
    env = engine_env(fake_bato, tmp_path, "dying", BATO_LEASE_SECONDS="5")
    env_settings = json.loads((Path(env["BATO_CONFIG_DIR"]) / "settings.json").read_text())
    env_settings["request_timeout"] = 60
    (Path(env["BATO_CONFIG_DIR"]) / "settings.json").write_text(json.dumps(env_settings))
    fake_bato.clear_requests()  # the add above made requests too
    dying = engine(mariadb_url, env)
    wait_for("the dying engine's request", lambda: bool(fake_bato.requests), timeout=20)
    schedule = repo.m.schedule
    wait_for(
        "the dying engine's lease",
        lambda: bool(
            (schedule.get(schedule.bato_link == "160100").lease_owner or "").startswith(
                "engine-dying"
            )
        ),
        timeout=5,
    )
    dying.send_signal(signal.SIGKILL)
    dying.communicate(timeout=10)
    # as if it had run on another computer (one of this host that is gone is taken over at
    # once: tests/test_crash_recovery.py): its lease can only expire
    owner = schedule.get(schedule.bato_link == "160100").lease_owner
    assert owner is not None
    device, _host, pid = owner.rsplit(":", 2)
    schedule.update(lease_owner=f"{device}:another-host:{pid}").where(
        schedule.bato_link == "160100"
    ).execute()

    survivor_env = engine_env(fake_bato, tmp_path, "survivor")
    early = engine(mariadb_url, survivor_env)
    # the hung series is still leased by the dead engine: nobody checks it twice meanwhile
    out = early.communicate(timeout=60)[0]
    assert "Cycle done: 0/1 checked" in out and "1 skipped: another engine" in out, out
    assert repo.list_notifications() == []  # nothing half-written by the killed engine
    expires = schedule.get(schedule.bato_link == "160100").lease_expires_at
    assert expires is not None
    wait_for(
        "the dead engine's lease to expire",
        lambda: datetime.now(UTC).replace(tzinfo=None) > expires,
        timeout=10,
    )
    late = engine(mariadb_url, survivor_env)
    out = late.communicate(timeout=60)[0]
    assert "1/1 checked" in out, out
    assert [n.message for n in repo.list_notifications()] == ["New chapter available: Chapter 4"]
    assert schedule.get(schedule.bato_link == "160100").lease_owner is None  # freed after


class _Toaster:
    native = True

    def show(self, toast: Toast) -> bool:
        return True


class _Waker(QObject):
    wake = Signal()


def test_a_device_poller_thread_keeps_one_pooled_connection_across_polls(
    qtbot: QtBot,
    mariadb_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    """What the device processes above rely on: each poll used to open a new connection.

    A stock QThread gives every slot call a fresh Python thread state, so peewee's per-thread
    connection was forgotten between polls and the pool (15) ran dry after 15 polls.
    """
    open_repo(mariadb_url)  # migrated
    database = open_database(mariadb_url, password_lookup=lambda _i: None)
    assert isinstance(database, MariaDatabase)  # a pool: _in_use holds each thread's connection
    repo = Repository(database, device_id="laptop")
    poller = NotificationPoller(
        repo,
        _Toaster(),
        Settings(poll_interval=3600),
        do_not_disturb=lambda: False,
        tray_available=True,
    )
    failures: list[str] = []
    poller.poll_failed.connect(lambda value: failures.append(value))
    thread = PollerThread(poller)
    waker = _Waker()
    waker.wake.connect(poller.poll_now)
    try:
        with qtbot.waitSignal(poller.polled, timeout=5000):
            thread.start()
        in_use = len(database._in_use)  # this thread's (opened) and the poller's
        for _ in range(20):
            with qtbot.waitSignal(poller.polled, timeout=5000):
                waker.wake.emit()
        assert failures == []
        assert len(database._in_use) == in_use  # the poller kept its one connection
    finally:
        assert thread.stop(5000)
    assert len(database._in_use) == in_use - 1  # closed in its own thread on stop

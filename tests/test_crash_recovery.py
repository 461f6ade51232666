"""After a crash or a stop: a dead engine's claims are taken over at once, and a stop (SIGTERM)
means what the README says, from the first instant of ``run`` to a retry wait.

The kill and signal tests run the real ``bato-desktop run`` against the fake Bato server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bato_desktop.cli import main
from bato_desktop.db import Repository
from bato_desktop.db.repository import lease_host, lease_owner_gone
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.service import engine_owner

FAST = {
    "min_delay": 0.0,
    "max_delay": 0.01,
    "retry_backoff_max": 0.05,
    "request_timeout": 10.0,
    "retry_max_attempts": 3,
    "feed_interval": -1,
}  # only the series' checks ask the fake
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
HAS_PROC = Path("/proc/self/status").is_file()


# -- helpers -------------------------------------------------------------------------------------


def write_settings(**extra: Any) -> None:
    """The settings file every engine of the test reads (in-process and subprocesses)."""
    path = Path(os.environ["BATO_CONFIG_DIR"]) / "settings.json"
    path.write_text(json.dumps({**FAST, **extra}), encoding="utf-8")


class Engine:
    """``bato-desktop run`` in a subprocess; its output is read as it comes."""

    def __init__(self, url: str, fake: FakeBato, *args: str) -> None:
        env = {**os.environ, "BATO_API_URL": fake.url}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bato_desktop", "--database", url, "run", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_line(self, text: str, timeout: float = 10.0) -> None:
        wait_for(
            f"{text!r} in the engine's output",
            lambda: any(text in line for line in self.lines) or self.proc.poll() is not None,
            timeout,
        )
        if not any(text in line for line in self.lines):
            pytest.fail(f"the engine ended without {text!r}:\n{self.output}")

    def finish(self, timeout: float = 10.0) -> int:
        """Its exit code, once it exits by itself (within ``timeout``)."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the engine did not exit within {timeout} s:\n{self.output}")
        self._close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close()

    def _close(self) -> None:
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    started: list[Engine] = []
    yield started
    for engine in started:
        engine.kill()


def wait_for(what: str, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting after {timeout:.0f} s: {what}")
        time.sleep(0.01)


def posts(fake: FakeBato) -> int:
    return sum(r.method == "POST" for r in fake.requests)


def track(url: str, fake: FakeBato, ids: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATO_API_URL", fake.url)
    for bato_id in ids:
        fake.add_series(bato_id, f"Series {bato_id}", chapters=3)
        assert main(["--database", url, "add", bato_id]) == 0


def all_due(repo: Repository) -> None:
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def live_python() -> Iterator[int]:
    """The pid of a live Python process (what an engine is)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def owner_with_pid(pid: int, device: str = "device") -> str:
    return f"{device}:{lease_host()}:{pid}"


# -- which lease owners are gone -----------------------------------------------------------------


def test_an_engine_of_this_host_that_is_gone_is_told_from_a_live_one(live_python: int) -> None:
    assert not lease_owner_gone(engine_owner("device"))  # this very process
    assert lease_owner_gone(owner_with_pid(dead_pid()))
    assert not lease_owner_gone(owner_with_pid(live_python))
    # another host's pids mean nothing here; owners of another form are never judged
    assert not lease_owner_gone(f"device:{lease_host()}-elsewhere:{dead_pid()}")
    assert not lease_owner_gone("engine-a")
    assert not lease_owner_gone(f"device:{lease_host()}:not-a-pid")


@pytest.mark.skipif(not HAS_PROC, reason="needs /proc")
def test_a_reused_pid_or_a_zombie_is_gone() -> None:
    other = subprocess.Popen(["sleep", "30"])  # alive, but no engine (the pid was reused)
    try:
        assert lease_owner_gone(owner_with_pid(other.pid))
        other.kill()
        wait_for("the zombie", lambda: Path(f"/proc/{other.pid}/cmdline").read_bytes() == b"")
        assert lease_owner_gone(owner_with_pid(other.pid))  # killed, not reaped yet
    finally:
        other.kill()
        other.wait()


def test_a_long_host_name_is_compared_as_the_owner_keeps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "build-server-42.lan.example.org")
    owner = engine_owner("0f6d2c1e-8f55-4a58-9bd3-2b1b62a4a6f1")
    assert owner.split(":")[1] == "build-server-42."  # 16 characters
    assert lease_owner_gone(owner.rsplit(":", 1)[0] + f":{dead_pid()}")
    assert not lease_owner_gone(owner)


# -- the repository takes a gone engine's claims over ------------------------------------------


def test_a_gone_engines_claims_are_free_a_live_ones_wait(
    database_url: str,
    open_repo: Callable[[str], Repository],
    live_python: int,
) -> None:
    repo = open_repo(database_url)
    links = [f"https://bato.to/title/{i}-s" for i in range(1, 5)]
    for i, link in enumerate(links):
        repo.add_series(link, str(i + 1), now=NOW - timedelta(minutes=10 - i))
    dead = owner_with_pid(dead_pid())
    holders = {
        links[0]: dead,
        links[1]: owner_with_pid(live_python),
        links[2]: f"device:another-host:{dead_pid()}",
    }
    for link, holder in holders.items():
        assert repo.lease_series(link, holder, NOW, lease_seconds=600) is True
    me = engine_owner("device")
    assert repo.count_held_elsewhere(me, NOW) == 2  # the live engine's and the other host's
    first = repo.lease_next_due(me, NOW)
    second = repo.lease_next_due(me, NOW, exclude={first.bato_link} if first else ())
    assert first is not None and second is not None
    assert {first.bato_link, second.bato_link} == {links[0], links[3]}  # taken over at once
    assert repo.lease_next_due(me, NOW, exclude={links[0], links[3]}) is None
    # a requested check claims like a due one: never a live engine's series
    assert repo.lease_series(links[1], me, NOW) is False
    assert repo.lease_series(links[2], me, NOW) is False
    assert repo.lease_series(links[2], me, NOW + timedelta(minutes=11)) is True  # expired
    repo.release_lease(links[0], me)
    assert repo.lease_series(links[0], dead, NOW) is True  # (a late claim by the dead owner)
    assert repo.lease_series(links[0], me, NOW) is True


# -- SIGKILL mid-check, then the next engine -----------------------------------------------------


def test_a_killed_engines_series_is_checked_by_the_next_run_at_once(
    database_url: str,
    fake_bato: FakeBato,
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    engines: list[Engine],
) -> None:
    ids = ["190100", "190200", "190300"]
    track(database_url, fake_bato, ids, monkeypatch)
    for bato_id in ids:
        fake_bato.add_chapters(bato_id, 1)
    repo = open_repo(database_url)
    all_due(repo)
    write_settings()
    fake_bato.clear_requests()
    fake_bato.inject("timeout", delay=5)  # the first check hangs, its series leased
    dying = Engine(database_url, fake_bato)
    engines.append(dying)
    schedule = repo.m.schedule
    wait_for("the dying engine's request", lambda: posts(fake_bato) == 1)
    [hung] = [row.bato_link for row in schedule.select().where(schedule.lease_owner.is_null(False))]
    dying.proc.send_signal(signal.SIGKILL)
    dying.finish()

    capsys.readouterr()
    assert main(["--database", database_url, "explain", hung]) == 0
    explained = capsys.readouterr().out
    assert "Checking:" not in explained  # a dead engine is never said to be checking
    assert "Interrupted:" in explained and "takes the series over at once" in explained

    assert main(["--database", database_url, "run", "--once"]) == 0
    out = capsys.readouterr().out
    assert "Cycle done: 3/3 checked, 3 ok, 0 failed, 3 new chapters" in out, out
    assert "another engine" not in out
    assert repo.due_series() == []
    assert sorted(n.bato_link for n in repo.list_notifications()) == sorted(
        _link_of(repo, i) for i in ids
    )
    assert schedule.select().where(schedule.lease_owner.is_null(False)).count() == 0


def test_a_live_engines_series_waits_and_the_summary_says_so(
    database_url: str,
    fake_bato: FakeBato,
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    live_python: int,
) -> None:
    ids = ["191100", "191200", "191300"]
    track(database_url, fake_bato, ids, monkeypatch)
    repo = open_repo(database_url)
    all_due(repo)
    write_settings()
    now = datetime.now(UTC)
    held = {
        repo.find_series(ids[0]).bato_link: owner_with_pid(live_python),  # type: ignore[union-attr]
        repo.find_series(ids[1]).bato_link: "nas:another-host:4242",  # type: ignore[union-attr]
    }
    for link, owner in held.items():
        assert repo.lease_series(link, owner, now, lease_seconds=600) is True
    capsys.readouterr()
    assert main(["--database", database_url, "explain", ids[0]]) == 0
    assert f"right now, by engine {held[next(iter(held))]}" in capsys.readouterr().out
    assert main(["--database", database_url, "run", "--once"]) == 0
    out = capsys.readouterr().out
    assert (
        "Cycle done: 1/3 checked, 1 ok, 0 failed, 0 new chapters, 2 skipped: another "
        "engine is checking them"
    ) in out, out
    assert {d.bato_link for d in repo.due_series()} == set(held)  # they still wait


# -- SIGTERM during start-up ---------------------------------------------------------------------


def catches_sigterm(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return False


@pytest.mark.skipif(not HAS_PROC, reason="needs /proc to see when the handler is installed")
@pytest.mark.parametrize("args", [(), ("--once",)], ids=["daemon", "once"])
def test_sigterm_during_start_up_exits_0(
    sqlite_url: str,
    fake_bato: FakeBato,
    engines: list[Engine],
    args: tuple[str, ...],
) -> None:
    fake_bato.add_series(192100, "Never asked", chapters=2)
    write_settings()
    engine = Engine(sqlite_url, fake_bato, *args)  # a fresh database: migrations to run
    engines.append(engine)
    wait_for(
        "the SIGTERM handler",
        lambda: catches_sigterm(engine.proc.pid) or engine.proc.poll() is not None,
        timeout=10,
    )
    engine.proc.send_signal(signal.SIGTERM)
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()  # before the database
    assert engine.finish() == 0, engine.output
    assert "Traceback" not in engine.output
    assert "Engine running" not in engine.output and "Cycle done" not in engine.output
    assert posts(fake_bato) == 0


def test_sigterm_as_the_scheduler_starts_exits_0_without_a_cycle(
    sqlite_url: str,
    fake_bato: FakeBato,
    engines: list[Engine],
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    track(sqlite_url, fake_bato, ["192200", "192300"], monkeypatch)
    all_due(open_repo(sqlite_url))
    write_settings(min_delay=300.0, max_delay=300.0)
    fake_bato.clear_requests()
    engine = Engine(sqlite_url, fake_bato)
    engines.append(engine)
    engine.wait_line("Engine running")
    engine.proc.send_signal(signal.SIGTERM)
    assert engine.finish() == 0, engine.output
    assert "Traceback" not in engine.output
    assert posts(fake_bato) <= 1  # at most the series being checked when it came


# -- SIGTERM inside a retry wait -----------------------------------------------------------------


def test_sigterm_in_a_retry_wait_finishes_the_series(
    database_url: str,
    fake_bato: FakeBato,
    engines: list[Engine],
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = ["193100", "193200"]
    track(database_url, fake_bato, ids, monkeypatch)
    fake_bato.add_chapters(ids[0], 2)
    repo = open_repo(database_url)
    all_due(repo)
    # retry waits of 1 s, then 10 s; a long politeness pause after the series
    write_settings(
        retry_backoff_factor=10.0, retry_backoff_max=60.0, min_delay=300.0, max_delay=300.0
    )
    fake_bato.clear_requests()
    fake_bato.inject("500", count=2)
    engine = Engine(database_url, fake_bato)
    engines.append(engine)
    engine.wait_line("attempt 2/3, retrying in 10.0 s")
    started = time.monotonic()
    engine.proc.send_signal(signal.SIGTERM)
    assert engine.finish() == 0, engine.output
    assert time.monotonic() - started < 8, "the stop waited out the retry wait"
    assert posts(fake_bato) == 3  # the last attempt went out at once; nothing after it
    assert any(line.startswith("[success] Series 193100: 2 new") for line in engine.lines), (
        engine.output
    )
    first = repo.find_series(ids[0])
    assert first is not None
    [logged] = [row for row in repo.recent_logs(hours=1) if row.scrape_type == "scheduled"]
    assert (logged.bato_link, logged.status, logged.new_chapters) == (first.bato_link, "success", 2)
    assert [d.bato_link for d in repo.due_series()] == [repo.find_series(ids[1]).bato_link]  # type: ignore[union-attr]
    assert len(repo.list_notifications()) == 2
    schedule = repo.m.schedule
    assert schedule.select().where(schedule.lease_owner.is_null(False)).count() == 0


def _link_of(repo: Repository, link_or_id: str) -> str:
    series = repo.find_series(link_or_id)
    assert series is not None, link_or_id
    return series.bato_link

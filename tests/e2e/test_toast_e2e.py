"""End to end: a real X server (Xvfb), a private D-Bus session and a real notification server
(dunst) receive the toast for a notification another process wrote into the database.

Needs Debian's ``xvfb``, ``dbus`` (+ ``dbus-x11``), ``dunst`` and ``libnotify-bin``. Missing
binaries skip the test, unless ``BATO_REQUIRE_E2E=1`` (CI), where they fail it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bato_desktop.db import NewNotification, Repository, migrate, open_database

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BINARIES = ("Xvfb", "dbus-daemon", "dunst", "dunstctl", "dbus-monitor", "notify-send")


def _require_binaries() -> None:
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if not missing:
        return
    reason = (
        f"missing {', '.join(missing)} (apt-get install xvfb dbus dbus-x11 dunst libnotify-bin)"
    )
    if os.environ.get("BATO_REQUIRE_E2E") == "1":
        pytest.fail(f"{reason}; BATO_REQUIRE_E2E=1 makes the end-to-end test mandatory")
    pytest.skip(reason)


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=3)


class Desktop:
    """Xvfb on a free display, a private session bus and dunst; stopped in reverse order."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.processes: list[subprocess.Popen[bytes]] = []
        self.dbus_pid: int | None = None
        self.env = dict(os.environ)

    def start(self) -> None:
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1024x768x24",
             "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.processes.append(xvfb)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            display = pipe.readline().decode().strip()  # Xvfb writes it once it is ready
        assert display, "Xvfb did not report its display"
        (self.home / "config").mkdir(exist_ok=True)
        self.env.update({
            "DISPLAY": f":{display}",
            "QT_QPA_PLATFORM": "xcb",
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_RUNTIME_DIR": str(self.home),
        })
        self.env.pop("WAYLAND_DISPLAY", None)
        out = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
            env=self.env, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.split()
        address, self.dbus_pid = out[0], int(out[1])
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address
        self.processes.append(subprocess.Popen(
            ["dunst"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ))
        _wait_for(
            lambda: subprocess.run(["dunstctl", "is-paused"], env=self.env,
                                   capture_output=True, timeout=5).returncode == 0,
            5, "dunst to own org.freedesktop.Notifications",
        )

    def run(self, *args: str) -> str:
        return subprocess.run(
            list(args), env=self.env, capture_output=True, text=True, timeout=5, check=True
        ).stdout

    def stop(self) -> None:
        for process in reversed(self.processes):
            _stop(process)
        if self.dbus_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.dbus_pid, signal.SIGTERM)


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    _require_binaries()
    home = tmp_path / "home"
    home.mkdir()
    session = Desktop(home)
    try:
        session.start()
        yield session
    finally:
        session.stop()


def test_toast_reaches_the_notification_server(desktop: Desktop, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    database = open_database(url)
    migrate(database)
    repo = Repository(database)

    monitor_log = tmp_path / "dbus-monitor.log"
    with monitor_log.open("wb") as sink:
        monitor = subprocess.Popen(
            ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
            env=desktop.env, stdout=sink, stderr=subprocess.DEVNULL,
        )
    desktop.processes.append(monitor)

    env = dict(desktop.env)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    app = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("toast_app.py")), url],
        env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert app.stdout is not None
        first = app.stdout.readline().strip()
        if not first.startswith("READY"):
            _stop(app)
            stderr = app.stderr.read() if app.stderr else ""
            pytest.fail(f"the app did not start: {first!r}\n{stderr[-3000:]}")

        marker = f"Chapter e2e-{os.getpid()}-{time.monotonic_ns()}"
        (row_id,) = repo.create_notifications([NewNotification(
            anilist_id=42, bato_link="https://bato.to/title/42-e2e",
            notification_type="new_chapter", manga_name="E2E Series", message=marker,
            chapter_full_url="https://bato.to/chapter/4242",
        )])
        written = time.monotonic()

        _wait_for(lambda: marker in monitor_log.read_text(errors="replace"), 5,
                  "the Notify call on the session bus")
        latency = time.monotonic() - written
        assert latency < 3.0, f"toast reached the bus after {latency:.1f} s"

        # dunst itself has it: closed notifications move to its history.
        desktop.run("dunstctl", "close-all")
        _wait_for(lambda: marker in desktop.run("dunstctl", "history"), 3,
                  "the toast in dunst's history")
        history = desktop.run("dunstctl", "history")
        assert "E2E Series" in history

        def emitted() -> bool:
            row = repo.get_notification(row_id)
            return row is not None and row.is_emitted

        _wait_for(emitted, 3, "the row to be marked emitted")
    finally:
        if app.stdin is not None:
            app.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            app.wait(timeout=5)
        _stop(app)
        for stream in (app.stdout, app.stderr):
            if stream is not None:
                stream.close()
        repo.close()
    assert app.returncode == 0

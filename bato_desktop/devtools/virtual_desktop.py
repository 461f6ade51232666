"""A throw-away Linux desktop for benchmarks and end-to-end checks: Xvfb, a private D-Bus
session, a system tray (trayer, XEmbed) and optionally a notification server (dunst).

Nothing here is used by the app itself. Each program is started with the environment of the
session and stopped in reverse order; ``env`` is what a program needs to run inside it.
Needs Debian's ``xvfb``, ``dbus``, ``trayer`` and ``dunst`` (``scripts/test.sh`` installs them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

REQUIRED = ("Xvfb", "dbus-daemon", "trayer", "xwininfo")


class DesktopUnavailable(RuntimeError):
    """A program the virtual desktop needs is not installed."""


def missing_programs(extra: tuple[str, ...] = ()) -> list[str]:
    return [name for name in (*REQUIRED, *extra) if shutil.which(name) is None]


def isolated_env(home: Path, api_url: str, *, frozen: bool = False) -> dict[str, str]:
    """An environment in which the app sees nothing of the developer's desktop and files.

    Its config, data, log and XDG folders live under ``home`` (created here), Bato requests go
    to ``api_url``, and no BATO_/QT_/D-Bus/display setting leaks in. ``frozen`` (a PyInstaller
    bundle) also drops the Python and library paths of the virtualenv it was built from.
    """
    dropped = ("BATO_", "QT_", "DBUS_", "XDG_", "DATABASE_URI") + (("PYTHON",) if frozen else ())
    names = {"DISPLAY", "WAYLAND_DISPLAY", "LOG_LEVEL"} | (
        {"LD_LIBRARY_PATH", "VIRTUAL_ENV"} if frozen else set()
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped) and k not in names}
    for name in ("config", "data", "log", "runtime", "xdg-config", "xdg-data"):
        (home / name).mkdir(parents=True, exist_ok=True)
    (home / "runtime").chmod(0o700)
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "xdg-config"),
            "XDG_DATA_HOME": str(home / "xdg-data"),
            "XDG_RUNTIME_DIR": str(home / "runtime"),
            "BATO_CONFIG_DIR": str(home / "config"),
            "BATO_DATA_DIR": str(home / "data"),
            "BATO_LOG_DIR": str(home / "log"),
            "BATO_API_URL": api_url,
        }
    )
    return env


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


class VirtualDesktop:
    """``with VirtualDesktop(base_env, notifications=True) as desktop: ... desktop.env ...``"""

    def __init__(
        self,
        base_env: Mapping[str, str] | None = None,
        *,
        notifications: bool = False,
        size: str = "1280x800x24",
    ) -> None:
        extra = ("dunst",) if notifications else ()
        missing = missing_programs(extra)
        if missing:
            raise DesktopUnavailable(
                f"missing {', '.join(missing)} (apt-get install xvfb dbus dbus-x11 trayer "
                "x11-utils dunst)"
            )
        self.env = dict(base_env if base_env is not None else os.environ)
        self.notifications = notifications
        self.size = size
        self._processes: list[subprocess.Popen[bytes]] = []
        self._dbus_pid: int | None = None

    def __enter__(self) -> VirtualDesktop:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        read_fd, write_fd = os.pipe()
        self._processes.append(
            subprocess.Popen(
                [
                    "Xvfb",
                    "-displayfd",
                    str(write_fd),
                    "-screen",
                    "0",
                    self.size,
                    "-nolisten",
                    "tcp",
                ],
                pass_fds=(write_fd,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            display = pipe.readline().decode().strip()  # written once the server is ready
        if not display:
            raise RuntimeError("Xvfb did not report its display")
        for name in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
            self.env.pop(name, None)
        self.env.update({"DISPLAY": f":{display}", "QT_QPA_PLATFORM": "xcb"})
        out = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split()
        self.env["DBUS_SESSION_BUS_ADDRESS"], self._dbus_pid = out[0], int(out[1])
        self._start_tray()
        if self.notifications:
            self._processes.append(
                subprocess.Popen(
                    ["dunst"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
            wait_for(self._notifications_up, 10, "dunst on the session bus")

    def _start_tray(self, tries: int = 3) -> None:
        """trayer, started again if it dies or never shows its panel (seen once in a while on
        a loaded machine); the last try's own words go into the error."""
        problem = ""
        for _ in range(tries):
            tray = subprocess.Popen(
                [
                    "trayer",
                    "--edge",
                    "top",
                    "--align",
                    "right",
                    "--widthtype",
                    "request",
                    "--height",
                    "32",
                    "--tint",
                    "0x333333",
                    "--transparent",
                    "false",
                ],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )

            def up_or_gone(tray: subprocess.Popen[bytes] = tray) -> bool:
                return self._tray_up() or tray.poll() is not None

            with contextlib.suppress(TimeoutError):
                wait_for(up_or_gone, 10, "trayer's panel")
            if tray.poll() is None and self._tray_up():
                assert tray.stderr is not None
                tray.stderr.close()  # it is up; what it says from now on does not matter
                self._processes.append(tray)
                return
            stop_process(tray)
            _, err = tray.communicate()
            problem = (err or b"").decode(errors="replace").strip()[
                -500:
            ] or f"exit code {tray.returncode}, no panel"
        raise RuntimeError(f"trayer did not show its panel after {tries} tries: {problem}")

    def run(self, *args: str, timeout: float = 10) -> str:
        return subprocess.run(
            list(args), env=self.env, capture_output=True, text=True, timeout=timeout, check=True
        ).stdout

    def _tray_up(self) -> bool:
        return '"panel": ("panel" "trayer")' in self.run("xwininfo", "-root", "-tree")

    def _notifications_up(self) -> bool:
        try:
            names = self.run(
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.ListNames",
            )
        except subprocess.CalledProcessError:
            return False
        return "org.freedesktop.Notifications" in names

    def screenshot(self, path: Path, python: str) -> None:
        """The whole screen as PNG, taken by Qt in a child process (no ImageMagick needed)."""
        script = (
            "import sys\n"
            "from PySide6.QtGui import QGuiApplication\n"
            "app = QGuiApplication(sys.argv[:1])\n"
            "ok = app.primaryScreen().grabWindow(0).save(sys.argv[1], 'PNG')\n"
            "sys.exit(0 if ok else 1)\n"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [python, "-c", script, str(path)],
            env=self.env,
            capture_output=True,
            timeout=30,
            check=True,
        )

    def stop(self) -> None:
        for process in reversed(self._processes):
            stop_process(process)
        self._processes.clear()
        if self._dbus_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._dbus_pid, signal.SIGTERM)
            self._dbus_pid = None


def stop_process(
    process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10
) -> int:
    """Ask ``process`` to stop (``sig``), kill it if it does not within ``timeout``."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return int(process.returncode)

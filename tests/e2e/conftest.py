"""What the end-to-end tests share: the skip-or-fail rule for missing programs, a virtual
desktop to run the app in, the app's process with its output and log, and waiting for the app
(its tray icon in trayer's panel, any condition while it is still alive).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from bato_desktop.devtools.virtual_desktop import (
    DesktopUnavailable,
    VirtualDesktop,
    stop_process,
)

ROOT = Path(__file__).resolve().parents[2]
APP_CLASS = "Bato Desktop"  # WM_CLASS class = QApplication.applicationName()
DESKTOP_SIZE = "800x600x24"
# The app's Bato requests go here: nothing listens, so anything it tries to fetch goes nowhere.
NOWHERE = "http://127.0.0.1:9"


def missing(reason: str) -> NoReturn:
    """Skip the test for a missing program, or fail it where the tests are mandatory (CI)."""
    if os.environ.get("BATO_REQUIRE_E2E") == "1":
        pytest.fail(f"{reason}; BATO_REQUIRE_E2E=1 makes the end-to-end tests mandatory")
    pytest.skip(reason)


def wait_for(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    alive: Callable[[], str | None] | None = None,
    *,
    every: float = 0.05,
) -> None:
    """Poll ``predicate`` until it holds; fail early when ``alive`` reports the app gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if alive is not None and (died := alive()) is not None:
            pytest.fail(f"while waiting for {what}: {died}")
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def virtual_desktop(
    env: dict[str, str], *, programs: Sequence[str] = (), notifications: bool = False
) -> Iterator[VirtualDesktop]:
    """A virtual desktop (Xvfb, D-Bus, trayer; dunst with ``notifications``) over ``env``; a
    missing program, its own or one of ``programs``, skips (or fails) the test."""
    absent = [name for name in programs if shutil.which(name) is None]
    if absent:
        missing(
            f"missing {', '.join(absent)} "
            "(apt-get install xvfb dbus dbus-x11 trayer x11-utils dunst libnotify-bin)"
        )
    try:
        session = VirtualDesktop(env, notifications=notifications, size=DESKTOP_SIZE)
    except DesktopUnavailable as exc:
        missing(str(exc))
    with session:
        yield session


# -- the app's process -------------------------------------------------------------------------


@dataclass
class RunningApp:
    """The app started in ``cwd``; its output (stdout and stderr) goes to ``output``."""

    process: subprocess.Popen[bytes]
    output: Path
    log_file: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output_text(self) -> str:
        return self.output.read_text(errors="replace")

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def details(self) -> str:
        """The tails of its output and its log, for a failure's message."""
        log = self.log_text() if self.log_file.exists() else "(no log file)"
        return f"\n--- output ---\n{self.output_text()[-3000:]}\n--- bato.log ---\n{log[-3000:]}"

    def alive(self) -> str | None:
        """None while it runs, else why it is gone (for ``wait_for``)."""
        code = self.process.poll()
        return None if code is None else f"the app exited with {code}{self.details()}"

    def stop(self, timeout: float) -> int:
        """SIGTERM (the app's clean quit), killed only if it does not go within ``timeout``."""
        return stop_process(self.process, timeout=timeout)


def start_app(command: Sequence[str], env: dict[str, str], cwd: Path) -> RunningApp:
    output = cwd / "app-output.txt"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            list(command), env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT
        )
    return RunningApp(process, output, Path(env["BATO_LOG_DIR"]) / "bato.log")


# -- the tray, read off the screen -------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    depth: int
    id: str
    name: str
    classes: tuple[str, ...]
    width: int
    height: int
    x: int  # absolute position on the screen
    y: int

    @property
    def area(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.width, self.height


_TREE_LINE = re.compile(
    r"^(?P<indent>\s*)(?P<id>0x[0-9a-f]+) (?:\"(?P<name>.*)\"|\(has no name\)): "
    r"\((?P<classes>[^)]*)\)\s+(?P<w>\d+)x(?P<h>\d+)\+-?\d+\+-?\d+\s+\+(?P<x>-?\d+)\+(?P<y>-?\d+)"
)


def parse_tree(text: str) -> list[Window]:
    """The windows of ``xwininfo -root -tree`` in order, with their nesting depth."""
    windows = []
    for line in text.splitlines():
        match = _TREE_LINE.match(line)
        if match:
            windows.append(
                Window(
                    depth=len(match["indent"]),
                    id=match["id"],
                    name=match["name"] or "",
                    classes=tuple(re.findall(r'"(.*?)"', match["classes"])),
                    width=int(match["w"]),
                    height=int(match["h"]),
                    x=int(match["x"]),
                    y=int(match["y"]),
                )
            )
    return windows


def embedded_in_tray(windows: list[Window]) -> list[Window]:
    """Windows inside trayer's panel (the icons it embedded)."""
    inside: list[Window] = []
    panel_depth: int | None = None
    for window in windows:
        if panel_depth is not None and window.depth <= panel_depth:
            panel_depth = None
        if panel_depth is not None:
            inside.append(window)
        elif "trayer" in window.classes and window.name == "panel":
            panel_depth = window.depth
    return inside


def window_pid(desktop: VirtualDesktop, window: Window) -> int | None:
    match = re.search(r"= (\d+)", desktop.run("xprop", "-id", window.id, "_NET_WM_PID"))
    return int(match[1]) if match else None


def tray_icon(desktop: VirtualDesktop, pid: int) -> Window | None:
    """The icon of the app with ``pid`` inside trayer's panel, once it is embedded."""
    windows = embedded_in_tray(parse_tree(desktop.run("xwininfo", "-root", "-tree")))
    for window in windows:
        if APP_CLASS in window.classes and window_pid(desktop, window) == pid:
            return window
    return None


def wait_for_tray_icon(desktop: VirtualDesktop, app: RunningApp, timeout: float = 30) -> Window:
    found: list[Window] = []

    def embedded() -> bool:
        icon = tray_icon(desktop, app.pid)
        found[:] = [icon] if icon else []
        return bool(found)

    wait_for(embedded, timeout, "the app's tray icon inside trayer's panel", app.alive)
    return found[0]

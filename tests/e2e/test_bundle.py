"""End to end: build the PyInstaller bundle ONCE, then run the BUILT program.

1. ``bato-desktop --selftest`` of the frozen bundle exits 0 (offscreen).
2. The built app starts under a real X server (Xvfb) with a system tray (``trayer``, XEmbed) and
   a private D-Bus session; its tray icon is embedded in the tray (``xwininfo`` shows a window of
   the app's process inside trayer's panel, and the icon's pixels are painted on the screen). A
   screenshot goes to ``$BATO_SCREENSHOT_DIR/tray.png`` (a temp dir by default); then the app
   gets SIGTERM.

The build takes about 20-60 s. ``BATO_BUNDLE_DIR=dist/bato-desktop`` reuses a bundle built by
``scripts/build.sh`` instead. Missing tools skip the tests, unless ``BATO_REQUIRE_E2E=1`` (CI),
where they fail them. Needs Debian's ``xvfb``, ``dbus``, ``trayer`` and ``x11-utils``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bato_desktop.devtools.virtual_desktop import VirtualDesktop, isolated_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# Written into the repository only when asked (BATO_SCREENSHOT_DIR=docs/screenshots), so a
# test run never dirties the working tree.
SCREENSHOT_DIR = os.environ.get("BATO_SCREENSHOT_DIR")
EXE_NAME = "bato-desktop.exe" if sys.platform == "win32" else "bato-desktop"
DESKTOP_BINARIES = ("Xvfb", "dbus-daemon", "trayer", "xwininfo", "xprop")
APP_CLASS = "Bato Desktop"  # WM_CLASS class = QApplication.applicationName()


def _missing(reason: str) -> None:
    if os.environ.get("BATO_REQUIRE_E2E") == "1":
        pytest.fail(f"{reason}; BATO_REQUIRE_E2E=1 makes the end-to-end tests mandatory")
    pytest.skip(reason)


def _report(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str,
              alive: Callable[[], str | None] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if alive is not None and (died := alive()) is not None:
            pytest.fail(f"while waiting for {what}: {died}")
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def app_env(home: Path) -> dict[str, str]:
    """The built program's environment: isolated dirs, nothing from the venv; the library is
    empty, so nothing is fetched (should anything try, it goes nowhere)."""
    return isolated_env(home, "http://127.0.0.1:9", frozen=True)


# -- the bundle, built once per test session ---------------------------------------------------


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    prebuilt = os.environ.get("BATO_BUNDLE_DIR")
    if prebuilt:
        directory = Path(prebuilt).resolve()
        if not (directory / EXE_NAME).is_file():
            pytest.fail(f"BATO_BUNDLE_DIR={prebuilt}: no {EXE_NAME} in it")
        return directory
    if importlib.util.find_spec("PyInstaller") is None:
        _missing("PyInstaller is not installed (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("pyinstaller")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(out / "dist"), "--workpath", str(out / "work"),
         str(ROOT / "build.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        pytest.fail(f"PyInstaller failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    directory = out / "dist" / "bato-desktop"
    assert (directory / EXE_NAME).is_file(), f"no {EXE_NAME} in {directory}"
    _report(pytestconfig, f"\nbundle built in {elapsed:.0f} s: {directory} "
            f"({_du(directory) / 1e6:.0f} MB)")
    return directory


def test_built_bundle_passes_its_selftest(bundle: Path, tmp_path: Path) -> None:
    env = app_env(tmp_path / "home")
    env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run(
        [str(bundle / EXE_NAME), "--selftest"], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=120, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "frozen bundle" in result.stdout, output
    assert "Self-test passed" in result.stdout, output
    for name in ("Qt platform plugins", "SVG icons", "QtCharts", "plyer backend", "keyring",
                 "database (SQLite)", "app modules", "app objects"):
        assert f"  {name} " in result.stdout, f"no {name!r} line:\n{output}"


# -- a desktop with a tray ---------------------------------------------------------------------


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
            windows.append(Window(
                depth=len(match["indent"]), id=match["id"], name=match["name"] or "",
                classes=tuple(re.findall(r'"(.*?)"', match["classes"])),
                width=int(match["w"]), height=int(match["h"]),
                x=int(match["x"]), y=int(match["y"]),
            ))
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


class Desktop(VirtualDesktop):
    """Xvfb, a private session bus and trayer (bato_desktop.devtools.virtual_desktop), plus
    what this test reads off the screen."""

    def windows(self) -> list[Window]:
        return parse_tree(self.run("xwininfo", "-root", "-tree"))

    def window_pid(self, window: Window) -> int | None:
        match = re.search(r"= (\d+)", self.run("xprop", "-id", window.id, "_NET_WM_PID"))
        return int(match[1]) if match else None


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    missing = [name for name in DESKTOP_BINARIES if shutil.which(name) is None]
    if missing:
        _missing(f"missing {', '.join(missing)} "
                 "(apt-get install xvfb dbus dbus-x11 trayer x11-utils)")
    with Desktop(app_env(tmp_path / "home"), size="800x600x24") as session:
        yield session


def _painted_colors(path: Path, window: Window) -> int:
    """How many distinct colours the screenshot has where the tray icon is."""
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), f"cannot read the screenshot {path}"
    colors = {image.pixel(x, y)
              for x in range(max(0, window.x), min(image.width(), window.x + window.width))
              for y in range(max(0, window.y), min(image.height(), window.y + window.height))}
    return len(colors)


def test_built_app_shows_its_tray_icon_under_xvfb(
    bundle: Path, desktop: Desktop, tmp_path: Path
) -> None:
    output = tmp_path / "app-output.txt"
    log_file = Path(desktop.env["BATO_LOG_DIR"]) / "bato.log"
    with output.open("wb") as sink:
        app = subprocess.Popen([str(bundle / EXE_NAME)], env=desktop.env, cwd=tmp_path,
                               stdout=sink, stderr=subprocess.STDOUT)

    def details() -> str:
        log = log_file.read_text(errors="replace") if log_file.exists() else "(no log file)"
        return (f"\n--- output ---\n{output.read_text(errors='replace')[-3000:]}"
                f"\n--- bato.log ---\n{log[-3000:]}")

    def alive() -> str | None:
        code = app.poll()
        return None if code is None else f"the app exited with {code}{details()}"

    try:
        icons: list[Window] = []

        def icon_embedded() -> bool:
            icons[:] = [w for w in embedded_in_tray(desktop.windows())
                        if APP_CLASS in w.classes and desktop.window_pid(w) == app.pid]
            return bool(icons)

        _wait_for(icon_embedded, 30, "the app's tray icon inside trayer's panel", alive)
        icon = icons[0]
        assert icon.width >= 16 and icon.height >= 16, icon

        time.sleep(0.5)  # let it paint
        screenshot = (Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path) / "tray.png"
        desktop.screenshot(screenshot, sys.executable)
        assert _painted_colors(screenshot, icon) >= 3, \
            f"the tray icon area {icon} is blank in {screenshot}"

        log = log_file.read_text(errors="replace") if log_file.exists() else ""
        assert "No system tray" not in log, details()
        assert alive() is None
    finally:
        _stop(app)  # SIGTERM first; killed only if it does not go within 5 s
    assert app.returncode == 0, f"the app did not quit cleanly on SIGTERM{details()}"
    assert "Traceback" not in output.read_text(errors="replace"), details()

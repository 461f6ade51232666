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
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bato_desktop.devtools.virtual_desktop import VirtualDesktop, isolated_env
from tests.e2e.conftest import (
    NOWHERE,
    ROOT,
    Window,
    missing,
    start_app,
    virtual_desktop,
    wait_for_tray_icon,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Written into the repository only when asked (BATO_SCREENSHOT_DIR=docs/screenshots), so a
# test run never dirties the working tree.
SCREENSHOT_DIR = os.environ.get("BATO_SCREENSHOT_DIR")
EXE_NAME = "bato-desktop.exe" if sys.platform == "win32" else "bato-desktop"


def _report(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def app_env(home: Path) -> dict[str, str]:
    """The built program's environment: isolated dirs, nothing from the venv; the library is
    empty, so nothing is fetched (should anything try, it goes nowhere)."""
    return isolated_env(home, NOWHERE, frozen=True)


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
        missing("PyInstaller is not installed (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("pyinstaller")
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "work"),
            str(ROOT / "build.spec"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        pytest.fail(f"PyInstaller failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    directory = out / "dist" / "bato-desktop"
    assert (directory / EXE_NAME).is_file(), f"no {EXE_NAME} in {directory}"
    _report(
        pytestconfig,
        f"\nbundle built in {elapsed:.0f} s: {directory} ({_du(directory) / 1e6:.0f} MB)",
    )
    return directory


def test_built_bundle_passes_its_selftest(bundle: Path, tmp_path: Path) -> None:
    env = app_env(tmp_path / "home")
    env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run(
        [str(bundle / EXE_NAME), "--selftest"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "frozen bundle" in result.stdout, output
    assert "Self-test passed" in result.stdout, output
    for name in (
        "Qt platform plugins",
        "SVG icons",
        "QtCharts",
        "plyer backend",
        "keyring",
        "database (SQLite)",
        "app modules",
        "app objects",
    ):
        assert f"  {name} " in result.stdout, f"no {name!r} line:\n{output}"


# -- a desktop with a tray ---------------------------------------------------------------------


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[VirtualDesktop]:
    with virtual_desktop(app_env(tmp_path / "home"), programs=("xprop",)) as session:
        yield session


def _painted_colors(path: Path, window: Window) -> int:
    """How many distinct colours the screenshot has where the tray icon is."""
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), f"cannot read the screenshot {path}"
    colors = {
        image.pixel(x, y)
        for x in range(max(0, window.x), min(image.width(), window.x + window.width))
        for y in range(max(0, window.y), min(image.height(), window.y + window.height))
    }
    return len(colors)


def test_built_app_shows_its_tray_icon_under_xvfb(
    bundle: Path, desktop: VirtualDesktop, tmp_path: Path
) -> None:
    app = start_app([str(bundle / EXE_NAME)], desktop.env, tmp_path)
    try:
        icon = wait_for_tray_icon(desktop, app)
        assert icon.width >= 16 and icon.height >= 16, icon

        time.sleep(0.5)  # let it paint
        screenshot = (Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path) / "tray.png"
        desktop.screenshot(screenshot, sys.executable)
        assert _painted_colors(screenshot, icon) >= 3, (
            f"the tray icon area {icon} is blank in {screenshot}"
        )

        assert "No system tray" not in app.log_text(), app.details()
        assert app.alive() is None
    finally:
        code = app.stop(timeout=5)  # SIGTERM first; killed only if it does not go within 5 s
    assert code == 0, f"the app did not quit cleanly on SIGTERM{app.details()}"
    assert "Traceback" not in app.output_text(), app.details()

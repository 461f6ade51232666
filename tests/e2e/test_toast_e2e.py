"""End to end: the REAL app (``python -m bato_desktop``) on a real X server (Xvfb) with a system
tray (trayer), a private D-Bus session and a real notification server (dunst).

Another process writes a notification into the app's SQLite database, as a headless engine on
a shared database would. The test proves that dunst receives the toast within the poll
interval (seen on the bus by ``dbus-monitor`` and in dunst's history), that the tray icon's
unread badge appears on the screen, that clicking the toast opens the chapter in the browser,
that the badge disappears again when the notification is read elsewhere, and that SIGTERM ends
the app with exit code 0.

Needs Debian's ``xvfb``, ``dbus``, ``trayer``, ``x11-utils``, ``dunst`` and ``libnotify-bin``.
Missing programs skip the test, unless ``BATO_REQUIRE_E2E=1`` (CI), where they fail it.
Screenshots go to ``$BATO_SCREENSHOT_DIR`` when set (e.g. docs/screenshots), else a temp dir.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bato_desktop import settings as settings_mod
from bato_desktop.core.records import SeriesDetails
from bato_desktop.db import NewNotification, Repository, open_database
from bato_desktop.devtools.demo_covers import demo_cover_png
from bato_desktop.devtools.virtual_desktop import VirtualDesktop, isolated_env, stop_process
from bato_desktop.engine.covers import CoverCache
from bato_desktop.settings import Settings
from tests.e2e.conftest import (
    NOWHERE,
    ROOT,
    start_app,
    virtual_desktop,
    wait_for,
    wait_for_tray_icon,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

POLL_INTERVAL = 5  # seconds: the shortest the settings allow
EXTRA_PROGRAMS = ("dunstctl", "dbus-monitor", "notify-send", "xprop")


def app_env(home: Path) -> dict[str, str]:
    """Isolated dirs; an empty library, so nothing is fetched (and would go nowhere)."""
    return dict(isolated_env(home, NOWHERE), PYTHONPATH=str(ROOT))


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[VirtualDesktop]:
    with virtual_desktop(
        app_env(tmp_path / "home"), programs=EXTRA_PROGRAMS, notifications=True
    ) as session:
        yield session


def _crop(source: Path, target: Path, area: tuple[int, int, int, int]) -> None:
    """The top-right corner (toast and tray) for the README."""
    from PySide6.QtGui import QImage

    target.parent.mkdir(parents=True, exist_ok=True)
    assert QImage(str(source)).copy(*area).save(str(target)), f"cannot write {target}"


def red_pixels(path: Path, area: tuple[int, int, int, int]) -> int:
    """Pixels of the badge's red (bato_desktop.ui.icons.BADGE_COLOR) inside ``area``."""
    from PySide6.QtGui import QColor, QImage

    image = QImage(str(path))
    assert not image.isNull(), f"cannot read {path}"
    x0, y0, width, height = area
    count = 0
    for x in range(max(0, x0), min(image.width(), x0 + width)):
        for y in range(max(0, y0), min(image.height(), y0 + height)):
            colour = QColor(image.pixel(x, y))
            if colour.red() > 180 and colour.green() < 90 and colour.blue() < 90:
                count += 1
    return count


def test_real_app_toasts_a_row_written_elsewhere_and_badges_the_tray(
    desktop: VirtualDesktop,
    tmp_path: Path,
) -> None:
    settings_mod.save(
        replace(Settings(), poll_interval=POLL_INTERVAL),
        Path(desktop.env["BATO_CONFIG_DIR"]) / "settings.json",
    )
    # The "browser": Qt opens links with xdg-open; this one writes down what it was given.
    opened = tmp_path / "opened-urls.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "xdg-open").write_text(f'#!/bin/sh\necho "$1" >> "{opened}"\n')
    (bin_dir / "xdg-open").chmod(0o755)
    desktop.env["PATH"] = f"{bin_dir}{os.pathsep}{desktop.env.get('PATH', '')}"
    cover_url = "https://bato.to/media/covers/42.jpg"  # already in the cover cache: its icon
    desktop.env["BATO_CACHE_DIR"] = str(tmp_path / "cache")
    cover_file = CoverCache(tmp_path / "cache" / "covers").store(
        cover_url, demo_cover_png("Return of the Mad Knight", 48, 68)
    )
    shots = Path(os.environ.get("BATO_SCREENSHOT_DIR") or tmp_path)
    bus_log = tmp_path / "dbus-monitor.log"
    with bus_log.open("wb") as sink:
        monitor = subprocess.Popen(
            ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
            env=desktop.env,
            stdout=sink,
            stderr=subprocess.DEVNULL,
        )
    app = start_app([sys.executable, "-m", "bato_desktop"], desktop.env, tmp_path)
    alive = app.alive
    try:
        icon = wait_for_tray_icon(desktop, app).area
        wait_for(
            lambda: "Tray icon shown" in app.log_text(), 10, "'Tray icon shown' in the log", alive
        )
        database_file = Path(desktop.env["BATO_DATA_DIR"]) / "bato.db"
        wait_for(database_file.exists, 10, "the app's database", alive)
        time.sleep(1)  # let it paint
        desktop.screenshot(tmp_path / "tray-before.png", sys.executable)
        assert red_pixels(tmp_path / "tray-before.png", icon) == 0, "a badge with 0 unread"

        # Another process (a headless engine elsewhere) writes a notification.
        repo = Repository(open_database(f"sqlite:///{database_file}"))
        repo.upsert_details(
            "https://bato.to/title/42-e2e",
            42,
            SeriesDetails(bato_id="42", name="Return of the Mad Knight", cover_url=cover_url),
        )
        # (The session bus is private to this test, so a fixed text cannot be confused.)
        marker = "New chapter available: Chapter 112"
        (row_id,) = repo.create_notifications(
            [
                NewNotification(
                    anilist_id=42,
                    bato_link="https://bato.to/title/42-e2e",
                    notification_type="new_chapter",
                    manga_name="Return of the Mad Knight",
                    message=marker,
                    chapter_full_url="https://bato.to/title/42-e2e/4242-ch_7",
                )
            ]
        )

        # The poll timer (5 s) is the only way this process can learn of the row.
        wait_for(
            lambda: marker in bus_log.read_text(errors="replace"),
            POLL_INTERVAL + 2,
            "Notify call on the session bus within the poll interval",
            alive,
        )
        notify_call = bus_log.read_text(errors="replace")
        assert "Return of the Mad Knight" in notify_call
        assert f'string "{cover_file}"' in notify_call  # the cover is the toast's icon
        for action in ('"default"', '"Open chapter"', '"read"', '"Mark read"'):
            assert f"string {action}" in notify_call, f"no action {action} on the toast"

        def emitted() -> bool:
            row = repo.get_notification(row_id)
            return row is not None and row.is_emitted

        wait_for(emitted, 5, "row marked emitted", alive)
        time.sleep(0.5)
        desktop.screenshot(tmp_path / "toast.png", sys.executable)  # dunst's toast on screen
        _crop(tmp_path / "toast.png", shots / "desktop-toast.png", (440, 0, 360, 160))
        # Click it (dunst's default action): the chapter opens in the "browser".
        desktop.run("dunstctl", "action", "0")
        wait_for(
            lambda: opened.exists() and "4242-ch_7" in opened.read_text(),
            10,
            "chapter URL opened after clicking the toast",
            alive,
        )
        assert opened.read_text().split() == ["https://bato.to/title/42-e2e/4242-ch_7"]

        desktop.run("dunstctl", "close-all")  # closed toasts move to dunst's history
        wait_for(
            lambda: marker in desktop.run("dunstctl", "history"),
            5,
            "toast in dunst's history",
            alive,
        )

        time.sleep(0.5)
        desktop.screenshot(tmp_path / "tray-badge.png", sys.executable)
        assert red_pixels(tmp_path / "tray-badge.png", icon) > 10, (
            f"no unread badge on the tray icon {icon} in {tmp_path / 'tray-badge.png'}"
        )

        # Read on another device: the badge goes at the next poll.
        repo.mark_all_read()
        repo.close()

        def badge_gone() -> bool:
            desktop.screenshot(tmp_path / "tray-after.png", sys.executable)
            return red_pixels(tmp_path / "tray-after.png", icon) == 0

        wait_for(badge_gone, POLL_INTERVAL + 5, "badge to disappear after reading", alive)
        assert alive() is None
    finally:
        code = app.stop(timeout=30)  # SIGTERM: the app's clean quit
        stop_process(monitor)
    assert code == 0, app.details()
    assert "Traceback" not in app.output_text(), app.details()

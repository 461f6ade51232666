"""The whole desktop app in-process (offscreen): engine, poller and data threads wired."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.settings import Settings
from bato_desktop.ui import app as app_module
from bato_desktop.ui.toast_policy import Toast


class RecordingToaster:
    """Stands in for the native backend; records what would have been shown."""

    def __init__(self) -> None:
        self.shown: list[tuple[float, Toast]] = []

    @property
    def native(self) -> bool:
        return True

    @property
    def backend_name(self) -> str:
        return "recording"

    def set_fallback(self, _fallback: object) -> None:
        pass

    def show(self, toast: Toast) -> bool:
        self.shown.append((time.monotonic(), toast))
        return True


@pytest.fixture
def desktop(qapp: QApplication, fake_bato: FakeBato, tmp_path: Path, qtbot: QtBot,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[app_module.BatoDesktopApp]:
    toaster = RecordingToaster()
    monkeypatch.setattr(app_module, "Toaster", lambda: toaster)
    settings = replace(Settings(), database_url=f"sqlite:///{tmp_path / 'app.db'}",
                       hosts=(fake_bato.url,), min_delay=0.0, max_delay=0.01,
                       poll_interval=3600, request_timeout=2.0)
    desktop = app_module.BatoDesktopApp(qapp, settings)
    desktop.start()
    qtbot.waitUntil(lambda: desktop.engine is not None and desktop.repo is not None,
                    timeout=10_000)
    yield desktop
    desktop.shutdown()
    if desktop.dashboard is not None:
        desktop.dashboard.allow_close()
        desktop.dashboard.close()


def test_add_check_toast_and_badge(desktop: app_module.BatoDesktopApp, fake_bato: FakeBato,
                                   qtbot: QtBot) -> None:
    assert desktop.engine is not None and desktop.dashboard is not None
    toaster = desktop.toaster
    assert isinstance(toaster, RecordingToaster)
    fake_bato.add_series(190100, "Desk Hero", chapters=5)
    worker = desktop.engine.worker
    with qtbot.waitSignal(worker.series_added, timeout=10_000):
        desktop.dashboard.add_series_requested.emit("https://bato.to/title/190100-desk", None)
    qtbot.waitUntil(lambda: "Tracking Desk Hero" in desktop.dashboard.add_status.text(),
                    timeout=5000)
    fake_bato.add_chapters(190100, 1)
    with qtbot.waitSignal(worker.notifications_created, timeout=10_000):
        desktop.check_all_requested.emit("")
    # The poll timer is an hour away: only the engine's wake-up can bring this toast.
    # (How fast it is gets measured by benchmarks/toast_latency.py, not asserted here.)
    qtbot.waitUntil(lambda: len(toaster.shown) == 1, timeout=5000)
    _, toast = toaster.shown[0]
    assert (toast.title, toast.body) == ("Desk Hero", "New chapter available: Chapter 6")
    qtbot.waitUntil(lambda: desktop.tray.unread == 1, timeout=5000)
    desktop.mark_all_read_requested.emit()
    qtbot.waitUntil(lambda: desktop.tray.unread == 0, timeout=5000)


def test_pause_and_quit_cleanly(desktop: app_module.BatoDesktopApp, qtbot: QtBot) -> None:
    assert desktop.engine is not None
    with qtbot.waitSignal(desktop.engine.worker.paused_changed, timeout=5000):
        desktop.set_paused(True)
    assert desktop.tray.paused
    thread = desktop.engine.qthread
    desktop.shutdown()
    assert not thread.isRunning()
    assert desktop.poller_thread is None and desktop.data_thread is None


def test_resume_from_sleep_holds_toasts_for_a_digest(
    desktop: app_module.BatoDesktopApp, qtbot: QtBot
) -> None:
    held: list[object] = []
    desktop.hold_toasts.connect(held.append)
    desktop._resume_detector = type("Slept", (), {"poll": lambda self: 3600.0})()
    desktop.resume_delay_ms = 10
    assert desktop.engine is not None
    with qtbot.waitSignal(desktop.engine.worker.cycle_finished, timeout=10_000):
        desktop._check_resume()
    qtbot.waitUntil(lambda: len(held) == 2, timeout=5000)
    assert isinstance(held[0], datetime) and held[0] > datetime.now(UTC) + timedelta(minutes=20)
    assert held[1] is None  # released: the poller now shows one digest


@pytest.mark.mariadb
def test_two_notify_only_desktops_on_one_mariadb_each_toast_every_notification(
    qapp: QApplication, mariadb_url: str, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The desktop app delivers per device: one desktop showing a row must not hide it from
    the other (the old global is_emitted flag would)."""
    from bato_desktop.db import NewNotification, Repository, migrate, open_database

    toasters = [RecordingToaster(), RecordingToaster()]
    made = iter(toasters)
    monkeypatch.setattr(app_module, "Toaster", lambda: next(made))
    desktops = []
    for index in range(2):
        settings = replace(Settings(), database_url=mariadb_url, mode="notify-only",
                           poll_interval=5, device_id=f"desk-{index}",
                           device_name=f"Desk {index}")
        desktop = app_module.BatoDesktopApp(qapp, settings)
        desktop.start()
        desktops.append(desktop)
    try:
        for desktop in desktops:
            qtbot.waitUntil(lambda d=desktop: d.poller_thread is not None, timeout=10_000)
            assert desktop.engine is None  # notify-only: another device runs the engine
        database = open_database(mariadb_url)
        migrate(database)
        writer = Repository(database)  # a headless engine elsewhere writes a notification
        writer.create_notifications([NewNotification(
            anilist_id=-7, bato_link="https://bato.to/title/7-shared", notification_type=
            "new_chapter", manga_name="Shared Hero", message="New chapter available: Chapter 9")])
        for desktop in desktops:
            assert desktop.poller_thread is not None
            desktop.poller_thread.poller.poll_now()  # as if its 5 s timer fired now
        qtbot.waitUntil(lambda: all(len(t.shown) == 1 for t in toasters), timeout=15_000)
        assert [t.shown[0][1].title for t in toasters] == ["Shared Hero", "Shared Hero"]
        database.close()
    finally:
        for desktop in desktops:
            desktop.shutdown()
            if desktop.dashboard is not None:
                desktop.dashboard.allow_close()
                desktop.dashboard.close()

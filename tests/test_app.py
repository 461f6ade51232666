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
                       poll_interval=60, request_timeout=2.0)
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
    committed = time.monotonic()
    qtbot.waitUntil(lambda: len(toaster.shown) == 1, timeout=5000)
    shown_at, toast = toaster.shown[0]
    assert (toast.title, toast.body) == ("Desk Hero", "New chapter available: Chapter 6")
    assert shown_at - committed < 1.0  # woken at once, not at the next 60 s poll
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

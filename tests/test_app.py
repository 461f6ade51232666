"""The whole desktop app in-process (offscreen): engine, poller and data threads wired."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.settings import Settings
from bato_desktop.ui import app as app_module
from bato_desktop.ui.toast_policy import Toast
from bato_desktop.ui.tray import TrayController


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

    def set_click_handler(self, handler: object) -> None:
        self.click = handler

    def close(self) -> None:
        pass

    def show(self, toast: Toast) -> bool:
        self.shown.append((time.monotonic(), toast))
        return True


@pytest.fixture
def desktop(
    qapp: QApplication,
    fake_bato: FakeBato,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[app_module.BatoDesktopApp]:
    toaster = RecordingToaster()
    monkeypatch.setattr(app_module, "Toaster", lambda: toaster)
    settings = replace(
        Settings(),
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        hosts=(fake_bato.url,),
        min_delay=0.0,
        max_delay=0.01,
        poll_interval=3600,
        request_timeout=2.0,
    )
    desktop = app_module.BatoDesktopApp(qapp, settings)
    desktop.start()
    qtbot.waitUntil(lambda: desktop.engine is not None and desktop.repo is not None, timeout=10_000)
    yield desktop
    desktop.shutdown()
    if desktop.dashboard is not None:
        desktop.dashboard.allow_close()
        desktop.dashboard.close()


def test_add_check_toast_and_badge(
    desktop: app_module.BatoDesktopApp, fake_bato: FakeBato, qtbot: QtBot
) -> None:
    assert desktop.engine is not None and desktop.dashboard is not None
    toaster = desktop.toaster
    assert isinstance(toaster, RecordingToaster)
    fake_bato.add_series(190100, "Desk Hero", chapters=5)
    worker = desktop.engine.worker
    with qtbot.waitSignal(worker.series_added, timeout=10_000):
        desktop.dashboard.add_series_requested.emit("https://bato.to/title/190100-desk", None)
    dashboard = desktop.dashboard
    qtbot.waitUntil(lambda: "Tracking Desk Hero" in dashboard.add_status.text(), timeout=5000)
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
    desktop.hold_toasts.connect(lambda value: held.append(value))
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
    qapp: QApplication,
    mariadb_url: str,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The desktop app delivers per device: one desktop showing a row must not hide it from
    the other (the old global is_emitted flag would)."""
    from bato_desktop.db import NewNotification, Repository, migrate, open_database

    toasters = [RecordingToaster(), RecordingToaster()]
    made = iter(toasters)
    monkeypatch.setattr(app_module, "Toaster", lambda: next(made))
    desktops = []
    for index in range(2):
        settings = replace(
            Settings(),
            database_url=mariadb_url,
            mode="notify-only",
            poll_interval=5,
            device_id=f"desk-{index}",
            device_name=f"Desk {index}",
        )
        desktop = app_module.BatoDesktopApp(qapp, settings)
        desktop.start()
        desktops.append(desktop)
    try:
        for desktop in desktops:

            def poller_started(d: app_module.BatoDesktopApp = desktop) -> bool:
                return d.poller_thread is not None

            qtbot.waitUntil(poller_started, timeout=10_000)
            assert desktop.engine is None  # notify-only: another device runs the engine
        database = open_database(mariadb_url)
        migrate(database)
        writer = Repository(database)  # a headless engine elsewhere writes a notification
        writer.create_notifications(
            [
                NewNotification(
                    anilist_id=-7,
                    bato_link="https://bato.to/title/7-shared",
                    notification_type="new_chapter",
                    manga_name="Shared Hero",
                    message="New chapter available: Chapter 9",
                )
            ]
        )
        for desktop in desktops:
            assert desktop.poller_thread is not None
            poller = desktop.poller_thread.poller
            QTimer.singleShot(0, poller, poller.poll_now)  # as if its 5 s timer fired now
        qtbot.waitUntil(lambda: all(len(t.shown) == 1 for t in toasters), timeout=15_000)
        assert [t.shown[0][1].title for t in toasters] == ["Shared Hero", "Shared Hero"]
        database.close()
    finally:
        for desktop in desktops:
            desktop.shutdown()
            if desktop.dashboard is not None:
                desktop.dashboard.allow_close()
                desktop.dashboard.close()


def test_engine_events_touch_the_dashboard_only_on_the_gui_thread(
    desktop: app_module.BatoDesktopApp,
    fake_bato: FakeBato,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """series_checked comes from the engine thread; the dashboard must react on its own."""
    from PySide6.QtCore import QThread

    dashboard = desktop.dashboard
    assert dashboard is not None and desktop.engine is not None
    threads: list[QThread] = []
    original = dashboard.refresh_soon

    def refresh_soon() -> None:
        threads.append(QThread.currentThread())
        original()

    monkeypatch.setattr(dashboard, "refresh_soon", refresh_soon)
    fake_bato.add_series(190200, "Thread Check", chapters=3)
    worker = desktop.engine.worker
    # Connections are made at wiring time; rewire to the patched attribute like app.py does.
    worker.series_checked.disconnect(dashboard.on_series_checked)
    worker.series_checked.connect(dashboard.on_series_checked)
    with qtbot.waitSignal(worker.series_added, timeout=10_000):
        dashboard.add_series_requested.emit("https://bato.to/title/190200-thread", None)
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert all(thread is QApplication.instance().thread() for thread in threads)  # type: ignore[union-attr]


def test_no_tray_shows_the_dashboard_and_says_why(desktop: app_module.BatoDesktopApp) -> None:
    # Offscreen Qt has no system tray, like some Linux desktops.
    assert not TrayController.available()
    assert desktop.dashboard is not None and desktop.dashboard.isVisible()
    box = desktop._no_tray_box
    assert box is not None and box.isVisible() and "No system tray" in box.text()


def test_start_at_login_from_the_settings_window(
    desktop: app_module.BatoDesktopApp,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bato_desktop import settings as settings_mod
    from bato_desktop.ui import autostart

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    desktop.settings_path = tmp_path / "settings.json"
    entry = tmp_path / "xdg-config" / "autostart" / "bato-desktop.desktop"
    desktop._apply_settings(replace(desktop.settings, start_at_login=True))
    assert entry.is_file() and "Exec=" in entry.read_text(encoding="utf-8")
    assert autostart.is_autostart_enabled() and desktop.settings.start_at_login
    desktop._apply_settings(replace(desktop.settings, start_at_login=False))
    assert not entry.exists() and not desktop.settings.start_at_login

    # The autostart folder cannot be made: a warning, and the setting says what is true.
    warnings: list[str] = []
    monkeypatch.setattr(
        app_module.QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text)
    )
    (tmp_path / "xdg-config").mkdir(exist_ok=True)
    (tmp_path / "xdg-config" / "autostart").rmdir()
    (tmp_path / "xdg-config" / "autostart").write_text("not a folder", encoding="utf-8")
    desktop._apply_settings(replace(desktop.settings, start_at_login=True))
    assert warnings and "Could not change start at login" in warnings[0]
    assert not desktop.settings.start_at_login
    assert not settings_mod.load(desktop.settings_path, environ={}).start_at_login


def test_saved_settings_reach_the_running_engine(
    desktop: app_module.BatoDesktopApp,
    qtbot: QtBot,
) -> None:
    assert desktop.engine is not None
    worker = desktop.engine.worker
    with qtbot.waitSignal(worker.cycle_finished, timeout=15_000):
        pass  # the first cycle (5 s after start) has run; later ones follow the interval
    with qtbot.waitSignal(worker.next_cycle_changed, timeout=10_000) as changed:
        desktop._apply_settings(replace(desktop.settings, scrape_interval=7200))
    when = changed.args[0]
    assert isinstance(when, datetime)
    # the next cycle moved out to the new interval (the old one was 300 s)
    assert when > datetime.now(UTC) + timedelta(minutes=90)


def test_pause_from_the_gui_ends_a_running_cycle_after_the_current_series(
    qapp: QApplication,
    fake_bato: FakeBato,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cycle over a big library takes half an hour; Pause must not wait for its end."""
    monkeypatch.setattr(app_module, "Toaster", RecordingToaster)
    settings = replace(
        Settings(),
        database_url=f"sqlite:///{tmp_path / 'pause.db'}",
        hosts=(fake_bato.url,),
        min_delay=0.4,
        max_delay=0.4,
        poll_interval=3600,
        request_timeout=2.0,
    )
    from bato_desktop.db import Repository, migrate, open_database

    database = open_database(settings.database_url)
    migrate(database)
    repo = Repository(database)
    for index in range(8):
        bato_id = 191000 + index
        fake_bato.add_series(bato_id, f"Pause Hero {index}", chapters=3)
        repo.add_series(f"https://bato.to/title/{bato_id}-pause", str(bato_id))  # due now
    database.close()
    desktop = app_module.BatoDesktopApp(qapp, settings)
    desktop.start()
    try:
        qtbot.waitUntil(lambda: desktop.engine is not None, timeout=10_000)
        assert desktop.engine is not None
        worker = desktop.engine.worker
        reports: list[object] = []
        worker.cycle_finished.connect(lambda value: reports.append(value))
        checked: list[object] = []
        worker.series_checked.connect(lambda value: checked.append(value))
        desktop.check_all_requested.emit("")
        qtbot.waitUntil(lambda: len(checked) >= 1, timeout=15_000)
        desktop.set_paused(True)  # the tray's Pause, while the cycle runs
        assert desktop.tray.paused
        qtbot.waitUntil(lambda: bool(reports), timeout=15_000)
        report = reports[-1]
        assert getattr(report, "paused", False), report
        assert getattr(report, "checked", 8) < 8  # it did not walk the whole library first
        requests = len(fake_bato.requests)
        qtbot.wait(1500)  # nothing more is fetched while paused
        assert len(fake_bato.requests) == requests
    finally:
        desktop.shutdown()
        if desktop.dashboard is not None:
            desktop.dashboard.allow_close()
            desktop.dashboard.close()


def test_a_blocked_domain_shows_in_the_tray_and_the_banner_until_it_answers(
    desktop: app_module.BatoDesktopApp,
    fake_bato: FakeBato,
    qtbot: QtBot,
) -> None:
    dashboard = desktop.dashboard
    assert desktop.engine is not None and dashboard is not None
    worker = desktop.engine.worker
    fake_bato.add_series(190300, "Behind Cloudflare", chapters=2)
    with qtbot.waitSignal(worker.series_added, timeout=10_000):
        dashboard.add_series_requested.emit("https://bato.to/title/190300-cf", None)
    host = fake_bato.url.removeprefix("http://")
    fake_bato.set_mode("challenge")
    with qtbot.waitSignal(worker.domain_changed, timeout=10_000):
        desktop.check_all_requested.emit("")
    # Queued into the GUI thread: the tray and the banner follow once the event loop runs.
    qtbot.waitUntil(
        lambda: f"{host} blocked: browser check needed" in desktop.tray.tooltip().split(" · "),
        timeout=5000,
    )
    qtbot.waitUntil(
        lambda: (
            dashboard.banner.text() == f"{host} asks for a browser check: open it in your browser"
        ),
        timeout=5000,
    )
    assert "\n" not in desktop.tray.tooltip()  # one line, whatever it says
    fake_bato.set_mode("up")
    with qtbot.waitSignal(
        worker.domain_changed, timeout=10_000, check_params_cb=lambda _d, state, _m: state == "up"
    ):
        desktop.check_all_requested.emit("")
    qtbot.waitUntil(lambda: "blocked" not in desktop.tray.tooltip(), timeout=5000)
    qtbot.waitUntil(lambda: "browser check" not in dashboard.banner.text(), timeout=5000)


def test_domains_found_blocked_earlier_show_at_start_and_go_with_the_domain(
    qapp: QApplication,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine tells only of changes: a block found by an earlier run is read from the
    findings file; removing the domain in Settings clears it."""
    from bato_desktop import paths
    from bato_desktop.engine.domains import DomainBook

    monkeypatch.setattr(app_module, "Toaster", RecordingToaster)
    hosts = ("http://127.0.0.1:9", "http://127.0.0.1:7")  # loopback: nothing leaves the box
    DomainBook(hosts, path=paths.domain_findings_file()).record_blocked(
        "http://127.0.0.1:7", "403 challenge"
    )
    settings = replace(
        Settings(), database_url=f"sqlite:///{tmp_path / 'app.db'}", hosts=hosts, poll_interval=3600
    )
    desktop = app_module.BatoDesktopApp(qapp, settings)
    desktop.settings_path = tmp_path / "settings.json"
    desktop.start()
    try:
        qtbot.waitUntil(lambda: desktop.engine is not None, timeout=10_000)
        dashboard = desktop.dashboard
        assert dashboard is not None
        assert "127.0.0.1:7 blocked: browser check needed" in desktop.tray.tooltip().split(" · ")
        assert "127.0.0.1:7 asks for a browser check" in dashboard.banner.text()
        desktop._apply_settings(replace(desktop.settings, hosts=("http://127.0.0.1:9",)))
        assert "blocked" not in desktop.tray.tooltip()
        assert "browser check" not in dashboard.banner.text()
    finally:
        desktop.shutdown()
        if desktop.dashboard is not None:
            desktop.dashboard.allow_close()
            desktop.dashboard.close()


def test_a_feed_poll_reaches_the_tray_and_the_dashboard(
    desktop: app_module.BatoDesktopApp,
    qtbot: QtBot,
) -> None:
    assert desktop.engine is not None and desktop.dashboard is not None
    dashboard = desktop.dashboard
    desktop.engine.worker.feed_polled.emit(
        "xcomic", 1, 0, 0, False, "feed unhealthy: the comic feed answered null"
    )
    qtbot.waitUntil(lambda: "feed unhealthy" in desktop.tray.tooltip().split(" · "), timeout=5000)
    assert dashboard.feed_status.text() == "Site feed: unhealthy: the comic feed answered null"
    desktop._apply_settings(replace(desktop.settings, feed_interval=-1))
    assert "feed" not in desktop.tray.tooltip()
    assert dashboard.feed_status.text() == "Site feed: off (Settings → Checking)"

"""The desktop app's composition root: builds every object once and wires their signals.

Three worker threads do all the slow work: the engine (network + writes), the notification poller
(toasts) and the data worker (dashboard queries). The GUI thread only paints and routes signals,
so it never waits on Bato or on the database.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtNetwork import QNetworkInformation
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from bato_desktop import __version__, paths
from bato_desktop import settings as settings_mod
from bato_desktop.db import Repository, describe_url, migrate, open_database
from bato_desktop.engine.awake import ResumeDetector
from bato_desktop.engine.domains import DomainBook, DomainState, normalize_domain
from bato_desktop.engine.service import utcnow
from bato_desktop.settings import Settings, SettingsError
from bato_desktop.ui.autostart import is_autostart_enabled, set_autostart
from bato_desktop.ui.dashboard import DashboardWindow
from bato_desktop.ui.data_worker import DataWorker, OverviewData, RelinkData
from bato_desktop.ui.engine_worker import EngineThread, EngineWorker
from bato_desktop.ui.icons import app_icon
from bato_desktop.ui.poller import NotificationPoller, PollerThread
from bato_desktop.ui.settings_dialog import SettingsDialog
from bato_desktop.ui.single_instance import SingleInstance
from bato_desktop.ui.stall_probe import install_stall_probe
from bato_desktop.ui.threads import WorkerThread
from bato_desktop.ui.toasts import Toaster
from bato_desktop.ui.tray import TrayController
from bato_desktop.ui.welcome import WelcomeWindow, relink_offer_pending, set_relink_offer

log = logging.getLogger(__name__)

RESUME_POLL_MS = 15_000  # how often the app looks for a resume from sleep


class DatabaseOpener(QObject):
    """Opens and migrates the database off the GUI thread, then hands out the repository."""

    opened = Signal(object)  # Repository
    failed = Signal(str)

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._settings = settings

    @Slot()
    def open(self) -> None:
        url = self._settings.effective_database_url
        try:
            database = open_database(url)
            for action in migrate(database):
                log.info("Migration: %s", action)
            database.close()
        except Exception as exc:
            self.failed.emit(f"Cannot open the database {describe_url(url)}: {exc}")
            return
        # The device id turns on per-device delivery on a shared MariaDB: without it this
        # desktop would take the global is_emitted flag and steal toasts from other devices.
        self.opened.emit(
            Repository(
                database, device_id=self._settings.device_id, device_name=self._settings.device_name
            )
        )


class ToastClicks(QObject):
    """Carries a toast click from the toaster's watcher thread to the GUI thread."""

    clicked = Signal(str)  # the chapter URL, or "" for a summary


class BatoDesktopApp(QObject):
    """Owns the windows, the tray and the worker threads for one run of the app."""

    check_all_requested = Signal(str)
    pause_requested = Signal(bool)
    settings_changed = Signal(object)
    mark_all_read_requested = Signal()
    offline_changed = Signal(bool)
    resumed = Signal(float)
    hold_toasts = Signal(object)  # aware datetime until which toasts wait, or None

    def __init__(
        self, app: QApplication, settings: Settings, settings_path: Path | None = None
    ) -> None:
        super().__init__()
        self.app = app
        self.settings = settings
        self.settings_path = settings_path  # None: the platform's settings file
        self.repo: Repository | None = None
        self.paused = False
        self.engine: EngineThread | None = None
        self.poller_thread: PollerThread | None = None
        self.data_thread: WorkerThread | None = None
        self.toaster = Toaster()
        self.tray = TrayController(self)
        self.dashboard: DashboardWindow | None = None
        self.welcome: WelcomeWindow | None = None  # the first run's window
        self.settings_dialog: SettingsDialog | None = None
        self._data: DataWorker | None = None
        self._series_count: int | None = None  # from the last overview: the feed's hint
        self._relink_offer = False  # a new database was chosen: offer Relink when stranded
        self._db_opener = DatabaseOpener(settings)
        self._opener = WorkerThread(self._db_opener, "bato-db-open", on_start=self._db_opener.open)
        self._last_check: datetime | None = None
        self._next_check: datetime | None = None
        self._catching_up = False
        self.resume_delay_ms = 20_000
        self._no_tray_box: QMessageBox | None = None
        self._resume_detector = ResumeDetector(expected_interval=RESUME_POLL_MS / 1000)
        self._resume_timer = QTimer(self)
        self._resume_timer.setInterval(RESUME_POLL_MS)
        self._resume_timer.timeout.connect(self._check_resume)

    # -- start-up -----------------------------------------------------------------------------

    def start(self) -> None:
        self.toaster.set_fallback(self.tray.show_message)
        self._toast_clicks = ToastClicks(self)
        self._toast_clicks.clicked.connect(self._on_toast_clicked)  # queued: GUI thread
        self.toaster.set_click_handler(self._toast_clicks.clicked.emit)
        self._db_opener.opened.connect(self._on_database_opened)
        self._db_opener.failed.connect(self._on_database_failed)
        self._opener.start()
        self._wire_tray()
        self._resume_timer.start()
        self._watch_network()
        if TrayController.available():
            if self.tray.show():
                log.info("Tray icon shown")
        else:
            log.warning("No system tray: showing the dashboard instead")

    def _wire_tray(self) -> None:
        self.tray.open_dashboard.connect(self.show_dashboard)
        self.tray.check_all.connect(lambda: self.check_all_requested.emit(""))
        self.tray.pause_toggled.connect(self.set_paused)
        self.tray.mark_all_read.connect(self.mark_all_read_requested.emit)
        self.tray.open_settings.connect(self.show_settings)
        self.tray.quit_requested.connect(self.quit)

    @Slot(object)
    def _on_database_opened(self, repo: Repository) -> None:
        self._opener.stop()
        self.repo = repo
        data = DataWorker(
            repo,
            database_label=describe_url(self.settings.effective_database_url),
            hosts=self.settings.hosts,
        )
        self.data_thread = WorkerThread(data, "bato-data")
        self.dashboard = DashboardWindow(data)
        self.dashboard.set_hosts(self.settings.hosts)
        self.dashboard.relink_dialog.set_pace(self.settings.min_delay, self.settings.max_delay)
        self.settings_changed.connect(lambda new: self._hosts_changed(data, new))
        self.data_thread.start()
        self._wire_dashboard(self.dashboard)
        self._data = data
        data.changed.connect(self._on_data_changed)
        data.overview_loaded.connect(self._on_overview)
        data.first_run_checked.connect(self._on_first_run_checked)
        self.dashboard.set_feed_enabled(self.settings.feed_interval >= 0)

        poller = NotificationPoller(repo, self.toaster, self.settings)
        self.poller_thread = PollerThread(poller)
        poller.unread_changed.connect(self.tray.set_unread)
        poller.unread_changed.connect(self.dashboard.refresh_soon)  # e.g. read in the tray
        poller.fallback_toast.connect(self.tray.show_message)
        self.settings_changed.connect(poller.apply_settings)
        self.tray.snooze_requested.connect(poller.set_snoozed_until)
        self.tray.snooze_requested.connect(self.tray.set_snoozed)
        self.mark_all_read_requested.connect(poller.mark_all_read)
        self.hold_toasts.connect(poller.set_snoozed_until)
        self.poller_thread.start()

        if self.settings.mode == "engine+notify":
            self._start_engine(poller)
        else:
            log.info("Notify-only mode: another device runs the engine")
            self.dashboard.set_notify_only(True)
            self.dashboard.add_series_requested.connect(data.track_series)
        if not TrayController.available():
            self.show_dashboard()
            log.info("Dashboard shown")
            self._no_tray_box = QMessageBox(
                QMessageBox.Icon.Information,
                "Bato Desktop",
                "No system tray was found on this desktop, so Bato Desktop runs in this window. "
                "Closing it keeps the app running; use File → Quit to stop it.",
                QMessageBox.StandardButton.Ok,
                self.dashboard,
            )
            self._no_tray_box.setModal(False)
            self._no_tray_box.show()
        self.dashboard.refresh()
        QTimer.singleShot(0, data, data.check_first_run)  # off the GUI thread: a query
        if relink_offer_pending():
            self._relink_offer = True
            data.relinks_loaded.connect(self._offer_relink)
            QTimer.singleShot(0, data, data.load_relinks)

    def _start_engine(self, poller: NotificationPoller) -> None:
        worker = EngineWorker(self.settings)
        self.engine = EngineThread(worker)
        worker.notifications_created.connect(poller.poll_now)
        # Check-now, pause, add and settings go through the worker's thread-safe request_*
        # methods, called here on the GUI thread: a queued slot would wait for the running
        # cycle (half an hour over 300 series) to end.
        self.check_all_requested.connect(self._request_check)
        self.pause_requested.connect(self._request_pause)
        self.settings_changed.connect(self._request_settings)
        self.offline_changed.connect(worker.set_offline)
        self.resumed.connect(worker.resumed)
        worker.cycle_started.connect(self._on_cycle_started)
        worker.cycle_progress.connect(self._on_cycle_progress)
        worker.cycle_finished.connect(self._on_cycle_finished)
        worker.next_cycle_changed.connect(self._on_next_cycle)
        worker.engine_error.connect(self._on_engine_error)
        worker.domain_changed.connect(self.tray.set_domain_state)
        worker.feed_polled.connect(self.tray.on_feed_polled)
        dashboard = self.dashboard
        if dashboard is not None:
            worker.cycle_started.connect(dashboard.on_cycle_started)
            worker.cycle_progress.connect(dashboard.on_cycle_progress)
            worker.cycle_finished.connect(dashboard.on_cycle_finished)
            worker.rate_limited.connect(dashboard.on_rate_limited)
            worker.engine_error.connect(dashboard.on_engine_error)
            worker.paused_changed.connect(dashboard.on_paused_changed)
            worker.next_cycle_changed.connect(dashboard.on_next_cycle_changed)
            worker.series_added.connect(dashboard.on_series_added)
            worker.series_add_failed.connect(dashboard.on_series_add_failed)
            worker.domain_changed.connect(dashboard.on_domain_changed)
            worker.feed_polled.connect(dashboard.on_feed_polled)
            # A bound slot, not a lambda: PySide6 runs a lambda in the emitting (engine) thread,
            # and the dashboard's widgets must only be touched from the GUI thread.
            worker.series_checked.connect(dashboard.on_series_checked)
            dashboard.add_series_requested.connect(self._request_add)
            dashboard.check_now_requested.connect(self._request_check)
            # The relink runs in the engine thread between two series; its outcome comes
            # back as relink_finished (queued to the dashboard in the GUI thread).
            dashboard.relink_requested.connect(self._request_relink)
            worker.relink_finished.connect(dashboard.on_relink_finished)
        self._show_known_blocks(self.settings.hosts)
        self.engine.start()

    def _show_known_blocks(self, hosts: tuple[str, ...]) -> None:
        """Domains found blocked by an earlier run say so from the start: the engine only
        tells of changes. The findings file is a small local read, no network."""
        try:
            statuses = DomainBook(hosts, path=paths.domain_findings_file()).statuses()
        except ValueError:  # no domain configured: Settings.validate refuses that anyway
            return
        for status in statuses:
            if status.state is DomainState.BLOCKED:
                self._domain_changed(status.base, DomainState.BLOCKED.value, status.summary())

    def _domain_changed(self, domain: str, state: str, message: str) -> None:
        """What the engine's domain_changed does, for news that comes from elsewhere."""
        self.tray.set_domain_state(domain, state, message)
        if self.dashboard is not None:
            self.dashboard.on_domain_changed(domain, state, message)

    def _hosts_changed(self, data: DataWorker, settings: Settings) -> None:
        if self.dashboard is not None:
            self.dashboard.set_hosts(settings.hosts)
            self.dashboard.relink_dialog.set_pace(settings.min_delay, settings.max_delay)
        QTimer.singleShot(0, data, lambda: data.set_hosts(settings.hosts))  # in its thread

    @Slot(str)
    def _request_check(self, bato_link: str) -> None:
        if self.engine is not None:
            self.engine.worker.request_check(bato_link)

    @Slot(bool)
    def _request_pause(self, paused: bool) -> None:
        if self.engine is not None:
            self.engine.worker.request_pause(paused)

    @Slot(str, object)
    def _request_add(self, link: str, anilist_id: int | None) -> None:
        if self.engine is not None:
            self.engine.worker.request_add(link, anilist_id)

    @Slot(bool, object)
    def _request_relink(self, apply_auto: bool, picks: tuple[tuple[str, str], ...]) -> None:
        if self.engine is not None:
            self.engine.worker.request_relink(apply_auto, picks)

    @Slot(object)
    def _request_settings(self, settings: Settings) -> None:
        if self.engine is not None:
            self.engine.worker.request_settings(settings)

    def _wire_dashboard(self, dashboard: DashboardWindow) -> None:
        dashboard.setWindowIcon(app_icon())
        dashboard.settings_requested.connect(self.show_settings)
        dashboard.quit_requested.connect(self.quit)
        dashboard.pause_requested.connect(self.set_paused)

    @Slot(str)
    def _on_database_failed(self, message: str) -> None:
        self._opener.stop()
        log.error(message)
        box = QMessageBox(QMessageBox.Icon.Critical, "Bato Desktop", message)
        box.setInformativeText("Check the database settings. Bato Desktop will open its settings.")
        box.exec()
        self.show_settings()

    # -- status -------------------------------------------------------------------------------

    @Slot()
    def _on_data_changed(self) -> None:
        if self.poller_thread is not None:
            poller = self.poller_thread.poller
            QTimer.singleShot(0, poller, poller.poll_now)

    @Slot(object)
    def _on_overview(self, data: OverviewData) -> None:
        self._series_count = data.status.series_tracked
        if data.feeds and self.settings.feed_interval >= 0:
            self.tray.set_feed_health(
                {catalogue: bool(feed["healthy"]) for catalogue, feed in data.feeds.items()}
            )

    # -- first run ----------------------------------------------------------------------------

    @Slot(bool)
    def _on_first_run_checked(self, due: bool) -> None:
        if due:
            self.show_welcome()

    @Slot()
    def show_welcome(self) -> None:
        """The first run's window: paste a link, import a list, or open an old MariaDB."""
        data = self._data
        if data is None:
            return
        if self.welcome is None:
            notify_only = self.engine is None
            welcome = WelcomeWindow(self.settings, notify_only=notify_only)
            welcome.setWindowIcon(app_icon())
            welcome.dashboard_requested.connect(self._show_library)
            welcome.database_requested.connect(self.show_database_settings)
            welcome.import_requested.connect(data.import_file)
            welcome.import_finished.connect(self._after_welcome_import)
            data.imported.connect(welcome.on_imported)
            if self.engine is not None:
                welcome.add_requested.connect(self._request_add)
                self.engine.worker.series_added.connect(welcome.on_series_added)
                self.engine.worker.series_add_failed.connect(welcome.on_series_add_failed)
            else:  # notify-only: into the shared library, the other device loads it
                welcome.add_requested.connect(data.track_series)
                data.tracked.connect(welcome.on_series_tracked)
            self.welcome = welcome
        self.welcome.show()
        self.welcome.raise_()
        self.welcome.activateWindow()

    @Slot()
    def _show_library(self) -> None:
        if self.dashboard is not None:
            self.dashboard.tabs.setCurrentIndex(2)
        self.show_dashboard()

    @Slot(str)
    def _after_welcome_import(self, _summary: str) -> None:
        self._request_check("")  # the imported series load now, not at the next cycle

    @Slot()
    def show_database_settings(self) -> None:
        """The settings window on its Database tab with MariaDB chosen (not blocking)."""
        dialog = self._settings_dialog(self.welcome)
        dialog.show_database_tab()
        if self.welcome is not None:
            dialog.settings_saved.connect(self.welcome.on_settings_saved)
        dialog.open()

    @Slot(object)
    def _offer_relink(self, data: RelinkData) -> None:
        """After the welcome window chose another database: once its series are judged
        stranded (no domain serves their site), the Relink dialog opens by itself, once."""
        if not self._relink_offer or not data.stranded or self.dashboard is None:
            return
        self._relink_offer = False
        set_relink_offer(False)
        self._show_library()
        self.dashboard.open_relink_dialog()

    @Slot(int)
    def _on_cycle_started(self, due: int) -> None:
        self.tray.set_status(self._last_check, self._next_check, f"checking 0/{due}")

    @Slot(int, int, str)
    def _on_cycle_progress(self, done: int, total: int, current: str) -> None:
        text = f"checking {done}/{total}" + (f": {current}" if current else "")
        self.tray.set_status(self._last_check, self._next_check, text)

    @Slot(object)
    def _on_cycle_finished(self, _report: object) -> None:
        if self._relink_offer and self._data is not None:  # the domains are known by now
            QTimer.singleShot(0, self._data, self._data.load_relinks)
        self._last_check = utcnow()
        self.tray.set_status(self._last_check, self._next_check, "")
        if self._catching_up:
            # The catch-up after sleep is done: what it found arrives as one digest.
            self._catching_up = False
            self.hold_toasts.emit(self.tray.snoozed_until)

    # -- sleep and network ------------------------------------------------------------------

    def _watch_network(self) -> None:
        if not QNetworkInformation.loadDefaultBackend():
            log.info("No network-information backend: assuming always online")
            return
        info = QNetworkInformation.instance()
        if info is not None:
            info.reachabilityChanged.connect(self._on_reachability)

    @Slot(QNetworkInformation.Reachability)
    def _on_reachability(self, reachability: QNetworkInformation.Reachability) -> None:
        offline = reachability == QNetworkInformation.Reachability.Disconnected
        log.info("Network %s", "lost: checks wait" if offline else "back")
        if offline and self.engine is not None:
            self.engine.worker.go_offline()  # ends a running pause now, from this thread
        self.offline_changed.emit(offline)

    @Slot()
    def _check_resume(self) -> None:
        slept = self._resume_detector.poll()
        if slept is None or self.engine is None:
            return
        # Hold toasts until the catch-up cycle is done, then show one "while you were away".
        self._catching_up = True
        self.hold_toasts.emit(utcnow() + timedelta(minutes=30))
        # Give Wi-Fi a moment to come back, so the catch-up checks do not fail as "errors".
        QTimer.singleShot(self.resume_delay_ms, lambda: self.resumed.emit(slept))

    @Slot(object)
    def _on_next_cycle(self, when: object) -> None:
        self._next_check = when if isinstance(when, datetime) else None
        self.tray.set_status(self._last_check, self._next_check, "")

    @Slot(str, bool)
    def _on_engine_error(self, message: str, _database: bool) -> None:
        log.error("Engine: %s", message)

    # -- actions ------------------------------------------------------------------------------

    @Slot()
    @Slot(str)
    def _on_toast_clicked(self, url: str) -> None:
        """A native toast's default action: its chapter, or (a summary) the notification
        list."""
        if url or self.dashboard is None:
            self.tray.open_link(url)
            return
        self.show_dashboard()
        self.dashboard.show_notification_list()

    def show_dashboard(self) -> None:
        if self.dashboard is None:
            return
        self.dashboard.show()
        self.dashboard.raise_()
        self.dashboard.activateWindow()
        self.dashboard.refresh()

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.tray.set_paused(paused)
        self.pause_requested.emit(paused)

    @Slot()
    def show_settings(self) -> None:
        # The box shows what the desktop will really do at login, even if the entry was
        # removed by hand (or by another tool) since the setting was saved.
        self._settings_dialog(self.dashboard).exec()

    def _settings_dialog(self, parent: QWidget | None) -> SettingsDialog:
        current = replace(self.settings, start_at_login=is_autostart_enabled())
        dialog = SettingsDialog(
            current, parent, path=self.settings_path, series_count=self._series_count
        )
        dialog.settings_saved.connect(self._apply_settings)
        self.settings_dialog = dialog
        return dialog

    @Slot(object)
    def _apply_settings(self, new: Settings) -> None:
        old = self.settings
        if new.start_at_login != is_autostart_enabled():
            try:
                set_autostart(new.start_at_login, autostart_command())
            except OSError as exc:
                QMessageBox.warning(
                    self.dashboard, "Bato Desktop", f"Could not change start at login: {exc}"
                )
                new = replace(new, start_at_login=is_autostart_enabled())
                with contextlib.suppress(OSError, SettingsError):
                    settings_mod.save(new, self.settings_path)
        self.settings = new
        kept = {normalize_domain(h) for h in new.hosts}
        for removed in {normalize_domain(h) for h in old.hosts} - kept:
            self._domain_changed(removed, DomainState.UNKNOWN.value, "")  # no longer asked
        self.settings_changed.emit(new)
        if self.dashboard is not None:
            self.dashboard.set_feed_enabled(new.feed_interval >= 0)
        if new.feed_interval < 0:
            self.tray.set_feed_health({})  # no feed is read: the tooltip leaves it out
        if new.effective_database_url != old.effective_database_url or new.mode != old.mode:
            QMessageBox.information(
                self.dashboard, "Bato Desktop", "The new database or mode applies after a restart."
            )

    @Slot()
    def quit(self) -> None:
        if self.dashboard is not None:
            self.dashboard.allow_close()
        self.shutdown()
        self.app.quit()

    def shutdown(self) -> None:
        """Stop the engine first (it may be writing), then the poller and the data worker.

        The icon and windows go at once, so quitting looks immediate even while the engine
        finishes the series it is writing."""
        self.tray.hide()
        if self.dashboard is not None:
            self.dashboard.hide()
        if self.welcome is not None:
            self.welcome.hide()
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        if self.poller_thread is not None:
            self.poller_thread.stop()
            self.poller_thread = None
        if self.data_thread is not None:
            self.data_thread.stop()
            self.data_thread = None
        self.toaster.close()
        self.tray.hide()


def autostart_command() -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "bato_desktop"]


def run_app(settings: Settings) -> int:
    QApplication.setApplicationName("Bato Desktop")
    QApplication.setOrganizationName("bato-desktop")
    QApplication.setApplicationVersion(__version__)
    QApplication.setQuitOnLastWindowClosed(False)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setWindowIcon(app_icon())
    install_stall_probe(app)
    instance = SingleInstance()
    if not instance.acquire():
        print("Bato Desktop is already running: brought its window to the front.")
        return 0
    desktop = BatoDesktopApp(app, settings)
    instance.activated.connect(desktop.show_dashboard)
    app.aboutToQuit.connect(desktop.shutdown)
    _quit_on_sigterm(desktop)
    desktop.start()
    return int(app.exec())


def _quit_on_sigterm(desktop: BatoDesktopApp) -> None:
    """SIGTERM (logout, systemd, kill) quits like the tray's Quit: the engine finishes cleanly.

    Python runs a signal handler only when the GUI thread runs Python code, so a timer polls the
    flag the handler sets (and gives the handler that chance)."""
    requested: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: requested.append(signum))

    def poll() -> None:
        if requested:
            requested.clear()
            log.info("SIGTERM: quitting")
            desktop.quit()

    timer = QTimer(desktop)
    timer.timeout.connect(poll)
    timer.start(500)

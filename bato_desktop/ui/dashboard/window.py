"""The main window: the four tabs, the File menu and the status bar, and the routing of the
app's and the engine's events to the tab they concern.

It never queries the database itself: each tab asks the :class:`DataWorker` (in its own
thread) through signals and paints what comes back, so it stays responsive on a slow database.
The window decides only *when* to refresh: the overview (it feeds the banner) and the tab shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar, cast

from PySide6.QtCore import QEvent, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPixmap
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QTabWidget, QWidget

from bato_desktop.db.rows import RelinkRow
from bato_desktop.engine.events import CycleReport, SeriesResult
from bato_desktop.engine.relink import RelinkPlan
from bato_desktop.ui.dashboard.common import Covers, DashboardTab
from bato_desktop.ui.dashboard.library_tab import LibraryTab
from bato_desktop.ui.dashboard.logs_tab import LogsTab
from bato_desktop.ui.dashboard.notifications_tab import NotificationsTab
from bato_desktop.ui.dashboard.overview_tab import OverviewTab
from bato_desktop.ui.data_worker import CoversData, DataWorker
from bato_desktop.ui.relink_dialog import RelinkDialog

REFRESH_COALESCE_MS = 1500
T = TypeVar("T")


def _forward(get: Callable[[DashboardWindow], T]) -> T:
    """A window attribute that belongs to a tab (``window.banner`` is the overview's banner),
    kept under the window's name for the app, the tests and the screenshot script."""
    return cast(T, property(get))


class DashboardWindow(QMainWindow):
    add_series_requested = Signal(str, object)  # link, AniList id or None
    check_now_requested = Signal(str)  # bato_link, "" = all
    pause_requested = Signal(bool)
    settings_requested = Signal()
    quit_requested = Signal()
    relink_requested = Signal(bool, object)  # apply_auto, ((old link, new link), ...)
    # to the data worker (queued into its thread); the tabs have their own
    request_import = Signal(str)
    request_export_calendar = Signal(str)

    def __init__(self, data: DataWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Bato Desktop")
        self.resize(1180, 760)
        self._data = data
        self._quitting = False
        self._files_pending = 0  # imports and exports asked here, not yet answered
        self.last_file_message = ""
        self.covers = Covers()
        self.relink_dialog = RelinkDialog(self)
        self.overview_tab = OverviewTab(data)
        self.notifications_tab = NotificationsTab(data, self.covers)
        self.library_tab = LibraryTab(data, self.covers, self.relink_dialog)
        self.logs_tab = LogsTab(data)
        self._pages: tuple[DashboardTab, ...] = (
            self.overview_tab,
            self.notifications_tab,
            self.library_tab,
            self.logs_tab,
        )
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Dashboard sections")
        for page, title in zip(
            self._pages, ("&Overview", "&Notifications", "&Library", "Lo&gs"), strict=True
        ):
            self.tabs.addTab(page, title)
            page.refresh_requested.connect(self.refresh)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        self.setCentralWidget(self.tabs)
        self._wire(data)
        self._build_menu()
        self._timer = QTimer(self)
        self._timer.setInterval(30_000)
        self._timer.timeout.connect(self._auto_refresh)
        self._timer.start()
        # Engine events (one per checked series) ask for a refresh; they are coalesced so a
        # fast cycle over 2,000 series reloads the views a few times, not 2,000 times.
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(REFRESH_COALESCE_MS)
        self._soon.timeout.connect(self._auto_refresh)

    def _wire(self, data: DataWorker) -> None:
        for source in (self.overview_tab, self.library_tab):
            source.check_now_requested.connect(self.check_now_requested.emit)
        self.overview_tab.pause_requested.connect(self.pause_requested.emit)
        self.library_tab.add_series_requested.connect(self.add_series_requested.emit)
        self.relink_dialog.relink_requested.connect(self.relink_requested.emit)
        self.request_import.connect(data.import_file)
        self.request_export_calendar.connect(data.export_calendar)
        self.request_import.connect(self._file_asked)
        self.request_export_calendar.connect(self._file_asked)
        data.imported.connect(self.on_file_done)
        data.exported.connect(self.on_file_done)
        data.covers_loaded.connect(self.show_covers)
        data.changed.connect(self.refresh)
        data.failed.connect(self.on_data_failed)
        data.refused.connect(self.show_message)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        settings = QAction("&Settings…", self)
        settings.setObjectName("settings_action")
        settings.setShortcut(QKeySequence.StandardKey.Preferences)
        settings.triggered.connect(self.settings_requested.emit)
        menu.addAction(settings)
        import_action = QAction("&Import reading list…", self)
        import_action.setStatusTip("Links, CSV/JSON, or an AniList / MangaUpdates export")
        import_action.triggered.connect(self._import_file)
        menu.addAction(import_action)
        export_action = QAction("&Export predicted releases (.ics)…", self)
        export_action.triggered.connect(self._export_calendar)
        menu.addAction(export_action)
        refresh = QAction("&Refresh", self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.refresh)
        menu.addAction(refresh)
        menu.addSeparator()
        close = QAction("&Close window", self)
        close.setShortcut(QKeySequence.StandardKey.Close)
        close.triggered.connect(self.close)
        menu.addAction(close)
        quit_action = QAction("&Quit Bato Desktop", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.quit_requested.emit)
        menu.addAction(quit_action)

    # -- refresh ------------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Ask for what the visible tab shows (and the overview, which feeds the banner)."""
        self.overview_tab.refresh()
        page = self._pages[self.tabs.currentIndex()]
        if page is not self.overview_tab:
            page.refresh()

    def _auto_refresh(self) -> None:
        if self.isVisible():
            self.refresh()

    @Slot()
    def refresh_soon(self) -> None:
        """Refresh shortly, once for a burst of calls, and only while the window is shown."""
        if not self._soon.isActive():
            self._soon.start()

    @Slot(object)
    def on_series_checked(self, _result: SeriesResult) -> None:
        self.refresh_soon()

    @Slot(object)
    def show_covers(self, data: CoversData) -> None:
        """Decoded covers from the data worker: pixmaps are made here, on the GUI thread."""
        fresh = self.covers.add(data)
        self.library_tab.show_covers(fresh)
        self.notifications_tab.show_covers(fresh)

    def show_notification_list(self) -> None:
        """A summary toast was clicked: the Notifications tab, unread first."""
        self.tabs.setCurrentWidget(self.notifications_tab)

    # -- files ----------------------------------------------------------------------------------

    def _import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import a reading list",
            str(Path.home()),
            "Reading lists (*.txt *.csv *.json *.xml);;All files (*)",
        )
        if path:
            self.request_import.emit(path)

    def _export_calendar(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export predicted releases",
            str(Path.home() / "bato-releases.ics"),
            "iCalendar (*.ics)",
        )
        if path:
            self.request_export_calendar.emit(path)

    def _file_asked(self, _path: str) -> None:
        self._files_pending += 1

    @Slot(str)
    def on_file_done(self, message: str) -> None:
        if not self._files_pending:
            return  # another window's import (the welcome window shows its own answer)
        self._files_pending -= 1
        self.last_file_message = message
        QMessageBox.information(self, "Bato Desktop", message)

    # -- settings and engine events ---------------------------------------------------------

    def set_hosts(self, hosts: tuple[str, ...]) -> None:
        """The configured mirror hosts: links on them are accepted in the add box."""
        self.library_tab.set_hosts(hosts)

    def set_notify_only(self, notify_only: bool) -> None:
        """This desktop only shows notifications; another device runs the checks."""
        self.relink_dialog.set_engine_available(not notify_only)
        self.library_tab.set_notify_only(notify_only)
        self.overview_tab.set_notify_only(notify_only)

    def set_feed_enabled(self, enabled: bool) -> None:
        """False: the feed_interval setting turned the site feed off."""
        self.overview_tab.set_feed_enabled(enabled)

    @Slot(str, int, int, int, bool, str)
    def on_feed_polled(
        self,
        catalogue: str,
        _pages: int,
        _new_uploads: int,
        _queued: int,
        healthy: bool,
        summary: str,
    ) -> None:
        """The engine read the site feed (its FeedPolled event)."""
        self.overview_tab.on_feed_polled(catalogue, healthy, summary)

    @Slot(str)
    def on_data_failed(self, message: str) -> None:
        self.overview_tab.set_db_error(message)
        self.overview_tab.update_banner()

    @Slot(int)
    def on_cycle_started(self, due: int) -> None:
        self.overview_tab.on_cycle_started(due)

    @Slot(int, int, str)
    def on_cycle_progress(self, done: int, total: int, current: str) -> None:
        self.overview_tab.on_cycle_progress(done, total, current)

    @Slot(object)
    def on_cycle_finished(self, report: CycleReport) -> None:
        self.overview_tab.on_cycle_finished(report)
        self.refresh()

    @Slot(object)
    def on_rate_limited(self, until: datetime) -> None:
        self.overview_tab.on_rate_limited(until)

    @Slot(str, bool)
    def on_engine_error(self, message: str, database: bool) -> None:
        if database:
            self.overview_tab.set_db_error(message)
        else:
            self.show_message(message)
        self.overview_tab.update_banner()

    @Slot(str, str, str)
    def on_domain_changed(self, domain: str, state: str, message: str) -> None:
        self.overview_tab.on_domain_changed(domain, state, message)

    @Slot(bool)
    def on_paused_changed(self, paused: bool) -> None:
        self.overview_tab.on_paused_changed(paused)

    @Slot(object)
    def on_next_cycle_changed(self, when: object) -> None:
        self.overview_tab.on_next_cycle_changed(when)

    @Slot(object)
    def on_series_added(self, result: SeriesResult) -> None:
        self.library_tab.on_series_added(result)

    @Slot(str, str)
    def on_series_add_failed(self, link: str, message: str) -> None:
        self.library_tab.on_series_add_failed(link, message)

    @Slot()
    def open_relink_dialog(self) -> None:
        self.library_tab.open_relink_dialog()

    @Slot(object, object, object, str)
    def on_relink_finished(
        self,
        plans: Sequence[RelinkPlan],
        moved: Sequence[RelinkRow],
        kept: Sequence[tuple[str, str]],
        message: str,
    ) -> None:
        """The engine served a relink: the dialog shows it; moves change the library."""
        self.relink_dialog.on_relink_finished(plans, moved, kept, message)
        self.show_message(message)
        if moved:
            self.refresh()
            if self.tabs.currentWidget() is not self.library_tab:  # its refresh asks already
                self.library_tab.request_relinks.emit()

    @Slot(str)
    def show_message(self, message: str) -> None:
        """A passing message in the status bar (kept long enough to read)."""
        self.statusBar().showMessage(message, 15_000)

    # -- window -------------------------------------------------------------------------------

    def allow_close(self) -> None:
        """Quitting: let the window really close instead of hiding in the tray."""
        self._quitting = True

    def changeEvent(self, event: QEvent) -> None:
        """The system switched between light and dark: recolour what is painted by hand."""
        if event.type() == QEvent.Type.PaletteChange:
            self.overview_tab.apply_palette()
            self.library_tab.history_chart.apply_palette()
            if self.isVisible():
                self.refresh()  # notifications and add-status colours are set when filled
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._quitting:
            event.accept()
            return
        event.ignore()
        self.hide()  # the app keeps running in the tray

    # -- the tabs' parts under the window's names ---------------------------------------------

    @property
    def _covers(self) -> dict[str, QPixmap]:
        return self.covers.pixmaps

    @property
    def _selected_link(self) -> str:
        return self.library_tab.selected_link

    show_logs = _forward(lambda w: w.logs_tab.show_logs)
    # overview
    banner = _forward(lambda w: w.overview_tab.banner)
    feed_status = _forward(lambda w: w.overview_tab.feed_status)
    progress = _forward(lambda w: w.overview_tab.progress)
    period = _forward(lambda w: w.overview_tab.period)
    check_all_button = _forward(lambda w: w.overview_tab.check_all_button)
    pause_button = _forward(lambda w: w.overview_tab.pause_button)
    cards = _forward(lambda w: w.overview_tab.cards)
    warning = _forward(lambda w: w.overview_tab.warning)
    activity = _forward(lambda w: w.overview_tab.activity)
    request_overview = _forward(lambda w: w.overview_tab.request_overview)
    # notifications
    notifications = _forward(lambda w: w.notifications_tab.notifications)
    series_filter = _forward(lambda w: w.notifications_tab.series_filter)
    type_filter = _forward(lambda w: w.notifications_tab.type_filter)
    unread_only = _forward(lambda w: w.notifications_tab.unread_only)
    mark_read_button = _forward(lambda w: w.notifications_tab.mark_read_button)
    mark_all_button = _forward(lambda w: w.notifications_tab.mark_all_button)
    older_button = _forward(lambda w: w.notifications_tab.older_button)
    request_notifications = _forward(lambda w: w.notifications_tab.request_notifications)
    request_mark_read = _forward(lambda w: w.notifications_tab.request_mark_read)
    request_mark_all_read = _forward(lambda w: w.notifications_tab.request_mark_all_read)
    # library
    link_input = _forward(lambda w: w.library_tab.link_input)
    anilist_input = _forward(lambda w: w.library_tab.anilist_input)
    add_button = _forward(lambda w: w.library_tab.add_button)
    add_status = _forward(lambda w: w.library_tab.add_status)
    relink_button = _forward(lambda w: w.library_tab.relink_button)
    filter_input = _forward(lambda w: w.library_tab.filter_input)
    stranded_banner = _forward(lambda w: w.library_tab.stranded_banner)
    library_model = _forward(lambda w: w.library_tab.library_model)
    library_view = _forward(lambda w: w.library_tab.library_view)
    detail_cover = _forward(lambda w: w.library_tab.detail_cover)
    detail_text = _forward(lambda w: w.library_tab.detail_text)
    history_chart = _forward(lambda w: w.library_tab.history_chart)
    check_button = _forward(lambda w: w.library_tab.check_button)
    mute_button = _forward(lambda w: w.library_tab.mute_button)
    active_button = _forward(lambda w: w.library_tab.active_button)
    hide_toasts_button = _forward(lambda w: w.library_tab.hide_toasts_button)
    remove_button = _forward(lambda w: w.library_tab.remove_button)
    priority_box = _forward(lambda w: w.library_tab.priority_box)
    notify_after = _forward(lambda w: w.library_tab.notify_after)
    hiatus_date = _forward(lambda w: w.library_tab.hiatus_date)
    hiatus_button = _forward(lambda w: w.library_tab.hiatus_button)
    request_library = _forward(lambda w: w.library_tab.request_library)
    request_series_detail = _forward(lambda w: w.library_tab.request_series_detail)
    request_remove = _forward(lambda w: w.library_tab.request_remove)
    request_muted = _forward(lambda w: w.library_tab.request_muted)
    request_hide_from_toasts = _forward(lambda w: w.library_tab.request_hide_from_toasts)
    request_priority = _forward(lambda w: w.library_tab.request_priority)
    request_notify_after = _forward(lambda w: w.library_tab.request_notify_after)
    request_pause_until = _forward(lambda w: w.library_tab.request_pause_until)
    request_active = _forward(lambda w: w.library_tab.request_active)
    request_relinks = _forward(lambda w: w.library_tab.request_relinks)
    request_undo_relink = _forward(lambda w: w.library_tab.request_undo_relink)
    # logs
    log_period = _forward(lambda w: w.logs_tab.log_period)
    log_status = _forward(lambda w: w.logs_tab.log_status)
    retry_button = _forward(lambda w: w.logs_tab.retry_button)
    log_tabs = _forward(lambda w: w.logs_tab.log_tabs)
    log_model = _forward(lambda w: w.logs_tab.log_model)
    log_view = _forward(lambda w: w.logs_tab.log_view)
    error_model = _forward(lambda w: w.logs_tab.error_model)
    error_view = _forward(lambda w: w.logs_tab.error_view)
    app_log = _forward(lambda w: w.logs_tab.app_log)
    request_logs = _forward(lambda w: w.logs_tab.request_logs)
    request_retry_failed = _forward(lambda w: w.logs_tab.request_retry_failed)
    request_app_log = _forward(lambda w: w.logs_tab.request_app_log)

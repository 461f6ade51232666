"""The main window: the old admin page and notification drawer, on the desktop.

It never queries the database itself: it asks the :class:`DataWorker` (in its own thread)
through signals and paints what comes back, so it stays responsive on a slow database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QEvent, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QFontDatabase,
    QIcon,
    QKeySequence,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bato_desktop.db.rows import NotificationRow, RelinkRow, SeriesOverview
from bato_desktop.engine.errors import InvalidBatoLink
from bato_desktop.engine.events import CycleReport, SeriesResult
from bato_desktop.engine.links import parse_link, parse_series_key
from bato_desktop.engine.relink import RelinkPlan
from bato_desktop.ui import theme
from bato_desktop.ui.charts import ActivityChart, ReleaseHistoryChart
from bato_desktop.ui.covers import THUMB_HEIGHT, app_icon_pixmap, pixmaps
from bato_desktop.ui.data_worker import (
    CoversData,
    DataWorker,
    LogsData,
    NotificationFilter,
    NotificationsData,
    OverviewData,
    RelinkData,
    SeriesDetail,
)
from bato_desktop.ui.models import (
    ErrorModel,
    LibraryModel,
    LogModel,
    RowTableModel,
    local_time,
)
from bato_desktop.ui.relink_dialog import RelinkDialog, StrandedBanner

PERIODS = (("Last 24 hours", 24), ("Last 48 hours", 48), ("Last 7 days", 168))
NOTIFICATION_TYPES = (("All types", ""), ("New chapter", "new_chapter"),
                      ("Several chapters", "batch_update"), ("Status change", "status_change"),
                      ("Warnings", "system_warning"))
TYPE_ICONS = {"new_chapter": "●", "batch_update": "◆", "status_change": "▲",
              "system_warning": "⚠"}
IMPORTANCE_NAMES = {1: "normal", 2: "high", 3: "urgent"}
REFRESH_COALESCE_MS = 1500
NOTIFICATION_PAGE = 500  # notifications listed at first; "Show older" adds as many again


def _table(model: RowTableModel[Any], name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.setAccessibleName(name)
    view.setWordWrap(False)
    return view


def _day_label(value: datetime, today: datetime) -> str:
    day = value.astimezone().date()
    if day == today.date():
        return "Today"
    if day == (today - timedelta(days=1)).date():
        return "Yesterday"
    return day.strftime("%A %d %B %Y")


class Card(QFrame):
    """One figure of the overview: a big value over a small caption."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.value = QLabel("–")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        self.caption = QLabel(caption)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        self.setAccessibleName(caption)

    def set(self, text: str) -> None:
        self.value.setText(text)
        self.setAccessibleDescription(text)


class DashboardWindow(QMainWindow):
    add_series_requested = Signal(str, object)  # link, AniList id or None
    check_now_requested = Signal(str)  # bato_link, "" = all
    pause_requested = Signal(bool)
    settings_requested = Signal()
    quit_requested = Signal()
    relink_requested = Signal(bool, object)  # apply_auto, ((old link, new link), ...)
    # to the data worker (queued into its thread)
    request_overview = Signal(int)
    request_notifications = Signal(object)
    request_library = Signal()
    request_series_detail = Signal(str)
    request_logs = Signal(int, str)
    request_mark_read = Signal(list)
    request_mark_all_read = Signal()
    request_remove = Signal(str)
    request_muted = Signal(str, bool)
    request_hide_from_toasts = Signal(str, object)  # link, True / False / None (by rating)
    request_priority = Signal(str, int)
    request_notify_after = Signal(str, int)
    request_pause_until = Signal(str, object)
    request_active = Signal(str, bool)
    request_retry_failed = Signal()
    request_import = Signal(str)
    request_export_calendar = Signal(str)
    request_app_log = Signal()
    request_relinks = Signal()
    request_undo_relink = Signal(str)

    def __init__(self, data: DataWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Bato Desktop")
        self.resize(1180, 760)
        self._data = data
        self._wire_data(data)
        self._quitting = False
        self._paused = False
        self._rate_limited_until: datetime | None = None
        self._db_error: str | None = None
        self._next_cycle: datetime | None = None
        self._library: list[SeriesOverview] = []
        self._names: dict[str, str] = {}
        self._selected_link = ""
        self._covers: dict[str, QPixmap] = {}  # bato_link -> decoded cover (GUI thread)
        self._no_cover = app_icon_pixmap()
        self._app_log_shown = False
        self._notify_only = False
        self._hosts: tuple[str, ...] = ()
        self._domain_notices: dict[str, str] = {}  # host -> blocked or retired-query message
        self._feeds: dict[str, tuple[bool, str]] = {}  # catalogue -> (healthy, summary)
        self._feed_enabled = True
        self._notification_limit = NOTIFICATION_PAGE
        self.last_file_message = ""
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Dashboard sections")
        self.tabs.addTab(self._build_overview(), "&Overview")
        self.tabs.addTab(self._build_notifications(), "&Notifications")
        self.tabs.addTab(self._build_library(), "&Library")
        self.tabs.addTab(self._build_logs(), "Lo&gs")
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        self.setCentralWidget(self.tabs)
        self._wire_relink(data)
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
        self._update_banner()

    def _wire_data(self, data: DataWorker) -> None:
        self.request_overview.connect(data.load_overview)
        self.request_notifications.connect(data.load_notifications)
        self.request_library.connect(data.load_library)
        self.request_series_detail.connect(data.load_series_detail)
        self.request_logs.connect(data.load_logs)
        self.request_mark_read.connect(data.mark_read)
        self.request_mark_all_read.connect(data.mark_all_read)
        self.request_remove.connect(data.remove_series)
        self.request_muted.connect(data.set_muted)
        self.request_hide_from_toasts.connect(data.set_hide_from_toasts)
        data.covers_loaded.connect(self.show_covers)
        self.request_priority.connect(data.set_priority)
        self.request_notify_after.connect(data.set_notify_after)
        self.request_pause_until.connect(data.pause_series)
        self.request_active.connect(data.set_active)
        self.request_retry_failed.connect(data.retry_failed)
        self.request_import.connect(data.import_file)
        self.request_export_calendar.connect(data.export_calendar)
        self.request_app_log.connect(data.load_app_log)
        self._files_pending = 0  # imports and exports asked here, not yet answered
        self.request_import.connect(self._file_asked)
        self.request_export_calendar.connect(self._file_asked)
        data.imported.connect(self.on_file_done)
        data.exported.connect(self.on_file_done)
        data.overview_loaded.connect(self.show_overview)
        data.notifications_loaded.connect(self.show_notifications)
        data.library_loaded.connect(self.show_library)
        data.series_detail_loaded.connect(self.show_series_detail)
        data.logs_loaded.connect(self.show_logs)
        data.app_log_loaded.connect(self.show_app_log)
        data.tracked.connect(self.on_series_tracked)
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

    # -- overview ---------------------------------------------------------------------------

    def _build_overview(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.banner = QLabel()
        self.banner.setAccessibleName("Engine status")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.banner)
        self.feed_status = QLabel("Site feed: not read yet")
        self.feed_status.setAccessibleName("Site feed state")
        self.feed_status.setWordWrap(True)
        self.feed_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.feed_status)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Cycle progress")
        self.progress.setFormat("Checking %v of %m")
        self.progress.hide()
        layout.addWidget(self.progress)
        bar = QHBoxLayout()
        self.period = QComboBox()
        self.period.setAccessibleName("Statistics period")
        for label, hours in PERIODS:
            self.period.addItem(label, hours)
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        bar.addWidget(QLabel("Period:"))
        bar.addWidget(self.period)
        bar.addStretch(1)
        self.check_all_button = QPushButton("Check &all now")
        self.check_all_button.clicked.connect(lambda: self.check_now_requested.emit(""))
        self.pause_button = QPushButton("&Pause checking")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        bar.addWidget(self.check_all_button)
        bar.addWidget(self.pause_button)
        layout.addLayout(bar)
        grid = QGridLayout()
        self.cards = {key: Card(caption) for key, caption in (
            ("jobs", "Checks"), ("success", "Success rate"), ("errors", "Error rate"),
            ("duration", "Average duration"), ("found", "Chapters found"),
            ("new", "New chapters: 24 h · 48 h · 7 d"), ("tracked", "Series tracked"),
            ("next", "Next check"),
        )}
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, i // 4, i % 4)
        layout.addLayout(grid)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setAccessibleName("Error rate warning")
        self.warning.hide()
        layout.addWidget(self.warning)
        self.activity = ActivityChart()
        layout.addWidget(self.activity, 1)
        return page

    @Slot(object)
    def show_overview(self, data: OverviewData) -> None:
        stats, status = data.stats, data.status
        self.cards["jobs"].set(str(stats.total_jobs))
        self.cards["success"].set(f"{stats.success_rate:.1f}%")
        self.cards["errors"].set(f"{stats.error_rate:.1f}%")
        self.cards["duration"].set(f"{stats.avg_duration:.2f} s")
        self.cards["found"].set(str(stats.chapters_found))
        self.cards["new"].set(" · ".join(str(n) for n in data.new_by_window))
        self.cards["tracked"].set(f"{status.series_tracked} ({status.due_now} due)")
        due = status.next_check_at is not None and status.next_check_at <= datetime.now(UTC)
        self.cards["next"].set("due now" if due else local_time(status.next_check_at, "%a %H:%M"))
        if data.warning:
            self.warning.setText(f"⚠ {data.warning}")
            self.warning.setStyleSheet(theme.style_colour(theme.warning_colour()))
            self.warning.show()
        else:
            self.warning.hide()
        self.activity.set_buckets(data.buckets)
        if data.feeds:
            self._feeds = {catalogue: (bool(feed["healthy"]), str(feed["summary"]))
                           for catalogue, feed in data.feeds.items()}
        self._show_feeds()
        self._db_error = None
        self._update_banner()

    @Slot(str, int, int, int, bool, str)
    def on_feed_polled(self, catalogue: str, _pages: int, _new_uploads: int, _queued: int,
                       healthy: bool, summary: str) -> None:
        """The engine read the site feed (its FeedPolled event)."""
        self._feeds[catalogue] = (healthy, summary)
        self._show_feeds()

    def set_feed_enabled(self, enabled: bool) -> None:
        """False: the feed_interval setting turned the site feed off."""
        self._feed_enabled = enabled
        self._show_feeds()

    def _show_feeds(self) -> None:
        """One line per catalogue: "Site feed: healthy (every 14 min, read 2 min ago)"."""
        healthy: bool | None = None  # None: nothing to colour
        if not self._feed_enabled:
            lines = ["Site feed: off (Settings → Checking)"]
        elif not self._feeds:
            lines = ["Site feed: not read yet"]
        else:
            named = len(self._feeds) > 1
            lines = [f"Site feed{f' ({catalogue})' if named else ''}: "
                     f"{summary.removeprefix('feed ')}"
                     for catalogue, (_ok, summary) in sorted(self._feeds.items())]
            healthy = all(ok for ok, _summary in self._feeds.values())
        self.feed_status.setText("\n".join(lines))
        self.feed_status.setStyleSheet("" if healthy is None else theme.style_colour(
            theme.success_colour() if healthy else theme.warning_colour()))

    def _update_banner(self) -> None:
        now = datetime.now(UTC)
        if self._db_error:
            text, colour = f"Database unreachable: {self._db_error}", theme.error_colour()
        elif self._rate_limited_until and self._rate_limited_until > now:
            text = ("Rate limited by Bato: checking resumes at "
                    f"{local_time(self._rate_limited_until, '%H:%M')}")
            colour = theme.warning_colour()
        elif self._domain_notices:
            text, colour = "\n".join(self._domain_notices.values()), theme.warning_colour()
        elif self._notify_only:
            text = "Notify only: another device checks Bato; new chapters still arrive here."
            colour = theme.success_colour()
        elif self._paused:
            text, colour = "Checking is paused.", theme.warning_colour()
        else:
            when = local_time(self._next_cycle, "%H:%M") if self._next_cycle else "soon"
            text = f"Running: next cycle at {when}." if self._next_cycle else "Running."
            colour = theme.success_colour()
        self.banner.setText(text)
        self.banner.setStyleSheet(f"color: {colour.name()}; font-weight: bold")

    # -- notifications ----------------------------------------------------------------------

    def _build_notifications(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        bar = QHBoxLayout()
        self.series_filter = QComboBox()
        self.series_filter.setAccessibleName("Filter by series")
        self.series_filter.addItem("All series", "")
        self.type_filter = QComboBox()
        self.type_filter.setAccessibleName("Filter by type")
        for label, value in NOTIFICATION_TYPES:
            self.type_filter.addItem(label, value)
        self.unread_only = QCheckBox("&Unread only")
        for widget in (self.series_filter, self.type_filter):
            widget.currentIndexChanged.connect(lambda _i: self._filter_notifications())
        self.unread_only.toggled.connect(lambda _c: self._filter_notifications())
        self.mark_read_button = QPushButton("&Mark read")
        self.mark_read_button.clicked.connect(self._mark_selected_read)
        self.mark_all_button = QPushButton("Mark &all read")
        self.mark_all_button.clicked.connect(self.request_mark_all_read.emit)
        filters: tuple[QWidget, ...] = (self.series_filter, self.type_filter, self.unread_only)
        for filter_widget in filters:
            bar.addWidget(filter_widget)
        bar.addStretch(1)
        bar.addWidget(self.mark_read_button)
        bar.addWidget(self.mark_all_button)
        layout.addLayout(bar)
        self.notifications = QTreeWidget()
        self.notifications.setAccessibleName("Notifications, newest first, grouped by day")
        self.notifications.setHeaderLabels(["", "Time", "Series", "Message"])
        self.notifications.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.notifications.setRootIsDecorated(True)
        self.notifications.setUniformRowHeights(True)
        self.notifications.setIconSize(QSize(14, 20))
        self.notifications.itemDoubleClicked.connect(self._open_notification)
        header = self.notifications.header()
        header.setMinimumSectionSize(20)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(0, 64)  # the day rows span all columns; this column is the icon
        header.resizeSection(1, 70)
        header.resizeSection(2, 260)
        layout.addWidget(self.notifications)
        more = QHBoxLayout()
        self.older_button = QPushButton("Show &older notifications")
        self.older_button.setAccessibleName("Show older notifications")
        self.older_button.clicked.connect(self._show_older_notifications)
        self.older_button.hide()
        more.addStretch(1)
        more.addWidget(self.older_button)
        layout.addLayout(more)
        return page

    def _notification_filter(self) -> NotificationFilter:
        return NotificationFilter(
            bato_link=self.series_filter.currentData() or None,
            notification_type=self.type_filter.currentData() or None,
            unread_only=self.unread_only.isChecked(),
            limit=self._notification_limit,
        )

    def _filter_notifications(self) -> None:
        self._notification_limit = NOTIFICATION_PAGE
        self._load_notifications()

    def _show_older_notifications(self) -> None:
        self._notification_limit += NOTIFICATION_PAGE
        self._load_notifications()

    def _load_notifications(self) -> None:
        self.request_notifications.emit(self._notification_filter())

    @Slot(object)
    def show_notifications(self, data: NotificationsData) -> None:
        self._fill_series_filter(data.series)
        self.notifications.clear()
        now = datetime.now().astimezone()
        groups: dict[str, QTreeWidgetItem] = {}
        for note in data.rows:
            label = _day_label(note.created_at, now)
            parent = groups.get(label)
            if parent is None:
                parent = QTreeWidgetItem([label])
                font = parent.font(0)
                font.setBold(True)
                parent.setFont(0, font)
                parent.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading, not a notification
                self.notifications.addTopLevelItem(parent)
                parent.setFirstColumnSpanned(True)  # only works once the item is in the tree
                parent.setExpanded(True)
                groups[label] = parent
            parent.addChild(self._notification_item(note))
        self.older_button.setVisible(len(data.rows) >= data.filter.limit)
        if not data.rows:
            filtered = replace(data.filter, limit=NOTIFICATION_PAGE) != NotificationFilter()
            empty = QTreeWidgetItem(["No notifications" + (
                " match the filter" if filtered else " yet")])
            self.notifications.addTopLevelItem(empty)
            empty.setFirstColumnSpanned(True)

    def _notification_item(self, note: NotificationRow) -> QTreeWidgetItem:
        item = QTreeWidgetItem([TYPE_ICONS.get(note.notification_type, "●"),
                                local_time(note.created_at, "%H:%M"), note.manga_name,
                                note.message])
        item.setData(0, Qt.ItemDataRole.UserRole, note)
        colour = theme.importance_colour(note.importance)
        item.setForeground(0, colour)
        importance = IMPORTANCE_NAMES.get(note.importance, "normal")
        kind = note.notification_type.replace("_", " ")
        item.setToolTip(0, f"{importance.capitalize()} importance: {kind}")
        item.setData(0, Qt.ItemDataRole.AccessibleTextRole,
                     f"{'unread' if not note.is_read else 'read'}, {importance} importance, {kind}")
        item.setToolTip(3, note.chapter_full_url or note.message)
        if note.notification_type != "system_warning":
            item.setIcon(2, self._cover_icon(note.bato_link))
        if not note.is_read:
            for column in range(4):
                font = item.font(column)
                font.setBold(True)
                item.setFont(column, font)
        return item

    def _fill_series_filter(self, series: list[tuple[str, str]]) -> None:
        current = self.series_filter.currentData()
        wanted = [("All series", ""), *((name, link) for link, name in series)]
        existing = [(self.series_filter.itemText(i), self.series_filter.itemData(i))
                    for i in range(self.series_filter.count())]
        if existing == wanted:
            return
        blocked = self.series_filter.blockSignals(True)
        self.series_filter.clear()
        for name, link in wanted:
            self.series_filter.addItem(name, link)
        index = self.series_filter.findData(current)
        self.series_filter.setCurrentIndex(max(index, 0))
        self.series_filter.blockSignals(blocked)

    def _selected_notifications(self) -> list[NotificationRow]:
        found = []
        for item in self.notifications.selectedItems():
            note = item.data(0, Qt.ItemDataRole.UserRole)
            if isinstance(note, NotificationRow):
                found.append(note)
        return found

    def _mark_selected_read(self) -> None:
        ids = [note.id for note in self._selected_notifications() if not note.is_read]
        if ids:
            self.request_mark_read.emit(ids)

    def _open_notification(self, item: QTreeWidgetItem, _column: int) -> None:
        note = item.data(0, Qt.ItemDataRole.UserRole)
        if not isinstance(note, NotificationRow):
            return
        url = note.chapter_full_url or note.bato_link
        if url:
            QDesktopServices.openUrl(QUrl(url))
        if not note.is_read:
            self.request_mark_read.emit([note.id])

    # -- library ----------------------------------------------------------------------------

    def _build_library(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        add_bar = QHBoxLayout()
        self.link_input = QLineEdit()
        self.link_input.setPlaceholderText(
            "Paste a Bato or XCOMIC link, e.g. https://xcomic.me/comic/vg7ypp-en-…")
        self.link_input.setAccessibleName("Bato link to add")
        self.link_input.returnPressed.connect(self._add_series)
        self.anilist_input = QSpinBox()
        self.anilist_input.setRange(0, 2_000_000_000)
        self.anilist_input.setSpecialValueText("AniList id (optional)")
        self.anilist_input.setAccessibleName("AniList id, optional")
        self.add_button = QPushButton("&Add series")
        self.add_button.clicked.connect(self._add_series)
        self.relink_button = QPushButton("Relin&k…")
        self.relink_button.setToolTip("Find where series of a site that is gone live now")
        self.relink_button.clicked.connect(self.open_relink_dialog)
        self.filter_input = QLineEdit()
        self.filter_input.setPlaceholderText("Filter…")
        self.filter_input.setAccessibleName("Filter the library")
        add_bar.addWidget(self.link_input, 3)
        add_bar.addWidget(self.anilist_input, 1)
        add_bar.addWidget(self.add_button)
        add_bar.addWidget(self.filter_input, 1)
        add_bar.addWidget(self.relink_button)
        layout.addLayout(add_bar)
        self.add_status = QLabel()
        self.add_status.setAccessibleName("Add series result")
        self.add_status.setWordWrap(True)
        layout.addWidget(self.add_status)
        self.stranded_banner = StrandedBanner()
        self.stranded_banner.relink_clicked.connect(self.open_relink_dialog)
        layout.addWidget(self.stranded_banner)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.library_model = LibraryModel()
        self.library_view = _table(self.library_model, "Tracked series")
        self.library_view.setIconSize(QSize(14, 20))
        self.filter_input.textChanged.connect(self.library_model.set_filter)
        self.library_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._on_series_selected(current.row()))
        splitter.addWidget(self.library_view)
        splitter.addWidget(self._build_detail())
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 4)
        layout.addWidget(splitter, 1)
        return page

    def _build_detail(self) -> QWidget:
        box = QGroupBox("Selected series")
        layout = QHBoxLayout(box)
        self.detail_cover = QLabel()
        self.detail_cover.setAccessibleName("Cover of the selected series")
        self.detail_cover.setFixedWidth(THUMB_HEIGHT)
        self.detail_cover.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.detail_cover)
        left = QVBoxLayout()
        self.detail_text = QLabel("Select a series to see why it is checked when it is.")
        self.detail_text.setWordWrap(True)
        self.detail_text.setTextFormat(Qt.TextFormat.RichText)
        self.detail_text.setAccessibleName("Schedule explanation")
        self.detail_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.detail_text)
        self.detail_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        left.addWidget(scroll, 1)
        buttons = QGridLayout()
        self.check_button = QPushButton("&Check now")
        self.check_button.clicked.connect(
            lambda: self._with_series(self.check_now_requested.emit))
        self.mute_button = QPushButton("M&ute")
        self.mute_button.setCheckable(True)
        self.mute_button.clicked.connect(self._toggle_mute)
        self.active_button = QPushButton("Pause &series")
        self.active_button.setCheckable(True)
        self.active_button.clicked.connect(self._toggle_active)
        self.remove_button = QPushButton("&Remove…")
        self.remove_button.clicked.connect(self._remove_series)
        self.hide_toasts_button = QPushButton("&Hide in toasts")
        self.hide_toasts_button.setCheckable(True)
        self.hide_toasts_button.setToolTip(
            "Its toasts say only how many chapters are new (no name, title or cover); the "
            "dashboard still lists them. Adult-rated series are hidden unless you show them.")
        self.hide_toasts_button.clicked.connect(self._toggle_hide_from_toasts)
        form = QFormLayout()
        self.priority_box = QComboBox()
        self.priority_box.setAccessibleName("Priority")
        for label, value in (("Normal", 1), ("High", 2), ("Urgent", 3)):
            self.priority_box.addItem(label, value)
        self.priority_box.activated.connect(lambda _i: self._with_series(
            lambda link: self.request_priority.emit(link, int(self.priority_box.currentData()))))
        self.notify_after = QSpinBox()
        self.notify_after.setRange(1, 100)
        self.notify_after.setSuffix(" chapter(s)")
        self.notify_after.setAccessibleName("Notify after this many chapters")
        self.notify_after.editingFinished.connect(lambda: self._with_series(
            lambda link: self.request_notify_after.emit(link, self.notify_after.value())))
        self.hiatus_date = QDateEdit()
        self.hiatus_date.setCalendarPopup(True)
        self.hiatus_date.setDisplayFormat("yyyy-MM-dd")
        self.hiatus_date.setAccessibleName("Hiatus: pause until")
        self.hiatus_date.setMinimumDate(QDate.currentDate().addDays(1))
        self.hiatus_button = QPushButton("Pause until &date")
        self.hiatus_button.clicked.connect(self._pause_until)
        form.addRow("Priority:", self.priority_box)
        form.addRow("Notify after:", self.notify_after)
        hiatus = QHBoxLayout()
        hiatus.addWidget(self.hiatus_date)
        hiatus.addWidget(self.hiatus_button)
        form.addRow("Hiatus:", hiatus)
        for i, button in enumerate((self.check_button, self.mute_button, self.active_button,
                                    self.hide_toasts_button, self.remove_button)):
            buttons.addWidget(button, 0, i)
        left.addLayout(buttons)
        left.addLayout(form)
        layout.addLayout(left, 2)
        self.history_chart = ReleaseHistoryChart()
        layout.addWidget(self.history_chart, 3)
        self._set_detail_enabled(False)
        return box

    def _set_detail_enabled(self, enabled: bool) -> None:
        for widget in (self.check_button, self.mute_button, self.active_button,
                       self.hide_toasts_button, self.remove_button, self.priority_box,
                       self.notify_after, self.hiatus_date, self.hiatus_button):
            widget.setEnabled(enabled)
        self.check_button.setEnabled(enabled and not self._notify_only)

    def _with_series(self, action: Callable[[str], object]) -> None:
        if self._selected_link:
            action(self._selected_link)

    def _add_series(self) -> None:
        link = self.link_input.text().strip()
        # The engine asks the site which comic an XCOMIC work or chapter link names; without
        # an engine here (notify-only) only a link naming the comic itself can be added.
        parse = parse_series_key if self._notify_only else parse_link
        try:
            parse(link, extra_hosts=self._hosts)
        except InvalidBatoLink as exc:
            self._set_add_status(str(exc), error=True)
            return
        anilist = self.anilist_input.value() or None
        self.add_button.setEnabled(False)
        self._set_add_status(f"Adding {link}…" if self._notify_only
                             else f"Adding {link}: loading its chapters…", error=False)
        self.add_series_requested.emit(link, anilist)

    @Slot(str, str)
    def on_series_tracked(self, link: str, message: str) -> None:
        """Notify-only mode: the series is in the shared library (message) or was refused ("")."""
        self.add_button.setEnabled(True)
        if message:
            self.link_input.clear()
            self.anilist_input.setValue(0)
            self._set_add_status(message, error=False)
        else:
            self._set_add_status(f"{link}: not added (see the status bar)", error=True)

    def _set_add_status(self, text: str, *, error: bool) -> None:
        colour = theme.error_colour() if error else theme.success_colour()
        self.add_status.setStyleSheet(f"color: {colour.name()}")
        self.add_status.setText(text)

    @Slot(object)
    def on_series_added(self, result: SeriesResult) -> None:
        self.add_button.setEnabled(True)
        self.link_input.clear()
        self.anilist_input.setValue(0)
        self._set_add_status(f"Tracking {result.name}: {result.chapters_found} chapters loaded.",
                             error=False)
        self.refresh()

    @Slot(str, str)
    def on_series_add_failed(self, link: str, message: str) -> None:
        self.add_button.setEnabled(True)
        self._set_add_status(f"{link}: {message}", error=True)
        self.refresh()

    @Slot(object)
    def show_library(self, rows: list[SeriesOverview]) -> None:
        self._library = rows
        self._names = {row.bato_link: row.name for row in rows}
        self.log_model.set_names(lambda link: self._names.get(link, link))
        selected = self._selected_link
        first_fill = not self.library_model.rows
        self.library_model.set_rows(rows)
        if first_fill and rows:
            _fit_columns(self.library_view, first_width=260)
        if selected:
            for row_number, row in enumerate(self.library_model.rows):
                if row.bato_link == selected:
                    self.library_view.selectRow(row_number)
                    break

    def _on_series_selected(self, row_number: int) -> None:
        if row_number < 0:
            self._selected_link = ""
            self._set_detail_enabled(False)
            return
        if row_number >= self.library_model.rowCount():
            return
        row = self.library_model.row_at(row_number)
        self._selected_link = row.bato_link
        self._set_detail_enabled(True)
        self.mute_button.setChecked(row.muted)
        self.mute_button.setText("Un&mute" if row.muted else "M&ute")
        self.active_button.setChecked(not row.active)
        self.active_button.setText("Resume &series" if not row.active else "Pause &series")
        self.priority_box.setCurrentIndex(max(0, self.priority_box.findData(row.priority)))
        self.notify_after.setValue(row.notify_after)
        self.hide_toasts_button.setChecked(row.hidden_in_toasts)
        self.hide_toasts_button.setText("S&how in toasts" if row.hidden_in_toasts
                                        else "&Hide in toasts")
        self._show_detail_cover()
        self.request_series_detail.emit(row.bato_link)

    @Slot(object)
    def show_series_detail(self, detail: SeriesDetail) -> None:
        if detail.bato_link != self._selected_link:
            return
        lines = "".join(f"<tr><td><b>{label}</b>&nbsp;</td><td>{_escape(text)}</td></tr>"
                        for label, text in detail.explanation.lines)
        self.detail_text.setText(f"<h3>{_escape(detail.explanation.name)}</h3>"
                                 f"<table>{lines}</table>")
        self.history_chart.set_times(detail.release_times)

    def _toggle_hide_from_toasts(self, checked: bool) -> None:
        self._with_series(lambda link: self.request_hide_from_toasts.emit(link, checked))

    # -- covers -----------------------------------------------------------------------------

    def _cover_icon(self, bato_link: str) -> QIcon:
        return QIcon(self._covers.get(bato_link, self._no_cover))

    @Slot(object)
    def show_covers(self, data: CoversData) -> None:
        """Decoded covers from the data worker: pixmaps are made here, on the GUI thread."""
        fresh = pixmaps(data.images)
        self._covers.update(fresh)
        self.library_model.set_covers(
            {link: QIcon(pixmap) for link, pixmap in self._covers.items()},
            QIcon(self._no_cover))
        for i in range(self.notifications.topLevelItemCount()):
            day = self.notifications.topLevelItem(i)
            for j in range(day.childCount() if day is not None else 0):
                item = day.child(j) if day is not None else None
                note = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
                if item is not None and isinstance(note, NotificationRow) \
                        and note.bato_link in fresh:
                    item.setIcon(2, self._cover_icon(note.bato_link))
        self._show_detail_cover()

    def _show_detail_cover(self) -> None:
        pixmap = self._covers.get(self._selected_link, self._no_cover) \
            if self._selected_link else QPixmap()
        if not pixmap.isNull() and pixmap.width() > THUMB_HEIGHT:
            pixmap = pixmap.scaledToWidth(THUMB_HEIGHT, Qt.TransformationMode.SmoothTransformation)
        self.detail_cover.setPixmap(pixmap)

    def show_notification_list(self) -> None:
        """A summary toast was clicked: the Notifications tab, unread first."""
        self.tabs.setCurrentIndex(1)

    def _toggle_mute(self, checked: bool) -> None:
        self._with_series(lambda link: self.request_muted.emit(link, checked))

    def _toggle_active(self, checked: bool) -> None:
        self._with_series(lambda link: self.request_active.emit(link, not checked))

    def _pause_until(self) -> None:
        day = self.hiatus_date.date()
        until = datetime.combine(date(day.year(), day.month(), day.day()), time(0, 0))
        until = until.astimezone().astimezone(UTC)
        self._with_series(lambda link: self.request_pause_until.emit(link, until))

    def _remove_series(self) -> None:
        link = self._selected_link
        if not link:
            return
        name = self._names.get(link, link)
        answer = QMessageBox.question(
            self, "Remove series",
            f"Stop tracking {name}? Its chapters and notifications are removed too.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._selected_link = ""
            self._set_detail_enabled(False)
            self.request_remove.emit(link)

    # -- relink -----------------------------------------------------------------------------

    def _wire_relink(self, data: DataWorker) -> None:
        self.relink_dialog = RelinkDialog(self)
        self.relink_dialog.relink_requested.connect(self.relink_requested.emit)
        self.relink_dialog.history_requested.connect(self.request_relinks.emit)
        self.relink_dialog.undo_requested.connect(self.request_undo_relink.emit)
        self.request_relinks.connect(data.load_relinks)
        self.request_undo_relink.connect(data.undo_relink)
        data.relinks_loaded.connect(self.show_relinks)
        data.relink_undone.connect(self.relink_dialog.on_relink_undone)

    @Slot()
    def open_relink_dialog(self) -> None:
        self.relink_dialog.show()
        self.relink_dialog.raise_()
        self.relink_dialog.activateWindow()
        self.request_relinks.emit()

    @Slot(object)
    def show_relinks(self, data: RelinkData) -> None:
        self.stranded_banner.set_count(len(data.stranded))
        self.relink_dialog.show_data(data)

    @Slot(object, object, object, str)
    def on_relink_finished(self, plans: Sequence[RelinkPlan], moved: Sequence[RelinkRow],
                           kept: Sequence[tuple[str, str]], message: str) -> None:
        """The engine served a relink: the dialog shows it; moves change the library."""
        self.relink_dialog.on_relink_finished(plans, moved, kept, message)
        self.show_message(message)
        if moved:
            self.refresh()
            if self.tabs.currentIndex() != 2:  # the Library tab's refresh asks for it already
                self.request_relinks.emit()

    # -- logs -------------------------------------------------------------------------------

    def _build_logs(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        bar = QHBoxLayout()
        self.log_period = QComboBox()
        self.log_period.setAccessibleName("Log period")
        for label, hours in PERIODS:
            self.log_period.addItem(label, hours)
        self.log_status = QComboBox()
        self.log_status.setAccessibleName("Log status filter")
        for label, value in (("All results", ""), ("Successful", "success"),
                             ("Failed", "failed"), ("Rate limited", "rate_limited")):
            self.log_status.addItem(label, value)
        for box in (self.log_period, self.log_status):
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.retry_button = QPushButton("&Retry failed only")
        self.retry_button.clicked.connect(self.request_retry_failed.emit)
        bar.addWidget(QLabel("Period:"))
        bar.addWidget(self.log_period)
        bar.addWidget(self.log_status)
        bar.addStretch(1)
        bar.addWidget(self.retry_button)
        layout.addLayout(bar)
        inner = QTabWidget()
        self.log_model = LogModel()
        self.log_view = _table(self.log_model, "Scrape log")
        self.log_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        inner.addTab(self.log_view, "Scrape log")
        self.error_model = ErrorModel()
        self.error_view = _table(self.error_model, "Series that keep failing")
        inner.addTab(self.error_view, "Failing series")
        app_log = QWidget()
        app_layout = QVBoxLayout(app_log)
        self.app_log = QPlainTextEdit()
        self.app_log.setReadOnly(True)
        self.app_log.setAccessibleName("Application log")
        self.app_log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.app_log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        reload_button = QPushButton("Reload application log")
        reload_button.clicked.connect(self.request_app_log.emit)
        app_layout.addWidget(self.app_log)
        reload_row = QHBoxLayout()
        reload_row.addStretch(1)
        reload_row.addWidget(reload_button)
        app_layout.addLayout(reload_row)
        inner.addTab(app_log, "Application log")
        self.log_tabs = inner
        layout.addWidget(inner, 1)
        return page

    @Slot(object)
    def show_logs(self, data: LogsData) -> None:
        first_fill = not self.log_model.rows
        self.log_model.set_rows(data.rows)
        if first_fill and data.rows:
            _fit_columns(self.log_view, first_width=160)
        self.error_model.set_rows(data.errors)
        self.log_tabs.setTabText(1, f"Failing series ({len(data.errors)})")
        self.retry_button.setEnabled(bool(data.errors))

    @Slot(str)
    def show_app_log(self, text: str) -> None:
        bar = self.app_log.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        self.app_log.setPlainText(text)
        if at_end or not self._app_log_shown:  # keep the reader's place when they scrolled up
            bar.setValue(bar.maximum())
        self._app_log_shown = True

    # -- files --------------------------------------------------------------------------------

    def _import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a reading list", str(Path.home()),
            "Reading lists (*.txt *.csv *.json *.xml);;All files (*)")
        if path:
            self.request_import.emit(path)

    def _export_calendar(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export predicted releases", str(Path.home() / "bato-releases.ics"),
            "iCalendar (*.ics)")
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

    # -- refresh and engine events ----------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Ask for what the visible tab shows (and the overview, which feeds the banner)."""
        self.request_overview.emit(int(self.period.currentData()))
        index = self.tabs.currentIndex()
        if index == 1:
            self._load_notifications()
        elif index == 2:
            self.request_library.emit()
            self.request_relinks.emit()  # the stranded-series banner
            if self._selected_link:
                self.request_series_detail.emit(self._selected_link)
        elif index == 3:
            self.request_library.emit()  # names for the log's series column
            self.request_logs.emit(int(self.log_period.currentData()),
                                   str(self.log_status.currentData()))
            self.request_app_log.emit()

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

    def set_hosts(self, hosts: tuple[str, ...]) -> None:
        """The configured mirror hosts: links on them are accepted in the add box."""
        self._hosts = tuple(hosts)

    def set_notify_only(self, notify_only: bool) -> None:
        """This desktop only shows notifications; another device runs the checks."""
        self._notify_only = notify_only
        self.relink_dialog.set_engine_available(not notify_only)
        for button in (self.check_all_button, self.pause_button, self.check_button):
            button.setEnabled(not notify_only)
            button.setToolTip("Notify-only mode: another device checks Bato" if notify_only
                              else "")
        self._update_banner()

    @Slot(str)
    def on_data_failed(self, message: str) -> None:
        self._db_error = message
        self._update_banner()

    @Slot(int)
    def on_cycle_started(self, due: int) -> None:
        self.progress.setRange(0, max(due, 1))
        self.progress.setValue(0)
        self.progress.setVisible(due > 0)

    @Slot(int, int, str)
    def on_cycle_progress(self, done: int, total: int, current: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"Checking %v of %m{': ' + current if current else ''}")
        self.progress.setVisible(done < total)

    @Slot(object)
    def on_cycle_finished(self, report: CycleReport) -> None:
        self.progress.hide()
        if report.error:
            self._db_error = report.error
        self._update_banner()
        self.refresh()

    @Slot(object)
    def on_rate_limited(self, until: datetime) -> None:
        self._rate_limited_until = until
        self._update_banner()

    @Slot(str, bool)
    def on_engine_error(self, message: str, database: bool) -> None:
        if database:
            self._db_error = message
        else:
            self.show_message(message)
        self._update_banner()

    @Slot(str, str, str)
    def on_domain_changed(self, domain: str, state: str, message: str) -> None:
        """The banner shows what needs the user while a domain is blocked (a browser check) or
        stopped answering a query; the domain's next other news (back, down) clears it.

        The event carries no kind, and a retired query leaves its domain "up": the engine's
        wording ("no longer answers") tells it from "answers again".
        """
        host = domain.partition("://")[2] or domain
        if state == "blocked" or (state != "down" and "no longer answers" in message):
            self._domain_notices[host] = message if host in message else f"{host}: {message}"
        elif self._domain_notices.pop(host, None) is None:
            return
        self._update_banner()

    @Slot(str)
    def show_message(self, message: str) -> None:
        """A passing message in the status bar (kept long enough to read)."""
        self.statusBar().showMessage(message, 15_000)

    @Slot(bool)
    def on_paused_changed(self, paused: bool) -> None:
        self._paused = paused
        blocked = self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.setText("&Resume checking" if paused else "&Pause checking")
        self.pause_button.blockSignals(blocked)
        self._update_banner()

    @Slot(object)
    def on_next_cycle_changed(self, when: object) -> None:
        self._next_cycle = when if isinstance(when, datetime) else None
        self._update_banner()

    def _on_pause_toggled(self, checked: bool) -> None:
        self.pause_requested.emit(checked)
        self.on_paused_changed(checked)

    # -- window -------------------------------------------------------------------------------

    def allow_close(self) -> None:
        """Quitting: let the window really close instead of hiding in the tray."""
        self._quitting = True

    def changeEvent(self, event: QEvent) -> None:
        """The system switched between light and dark: recolour what is painted by hand."""
        if event.type() == QEvent.Type.PaletteChange:
            self.activity.apply_palette()
            self.history_chart.apply_palette()
            self._update_banner()
            self._show_feeds()
            self.warning.setStyleSheet(theme.style_colour(theme.warning_colour()))
            if self.isVisible():
                self.refresh()  # notifications and add-status colours are set when filled
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._quitting:
            event.accept()
            return
        event.ignore()
        self.hide()  # the app keeps running in the tray


def _fit_columns(view: QTableView, *, first_width: int) -> None:
    """Size columns to their contents once (Qt samples rows, so this stays cheap)."""
    header = view.horizontalHeader()
    header.setResizeContentsPrecision(200)
    view.resizeColumnsToContents()
    for column in range(header.count() - 1):
        header.resizeSection(column, min(header.sectionSize(column), 320))
    header.resizeSection(0, max(header.sectionSize(0), first_width))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

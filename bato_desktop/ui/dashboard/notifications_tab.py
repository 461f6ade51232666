"""The Notifications tab: the notification drawer, newest first and grouped by day, with its
filters, a page at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from PySide6.QtCore import QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bato_desktop.db.rows import NotificationRow
from bato_desktop.ui import theme
from bato_desktop.ui.dashboard.common import Covers, DashboardTab
from bato_desktop.ui.data_worker import DataWorker, NotificationFilter, NotificationsData
from bato_desktop.ui.models import local_time

NOTIFICATION_TYPES = (
    ("All types", ""),
    ("New chapter", "new_chapter"),
    ("Several chapters", "batch_update"),
    ("Status change", "status_change"),
    ("Warnings", "system_warning"),
)
TYPE_ICONS = {"new_chapter": "●", "batch_update": "◆", "status_change": "▲", "system_warning": "⚠"}
IMPORTANCE_NAMES = {1: "normal", 2: "high", 3: "urgent"}
NOTIFICATION_PAGE = 500  # notifications listed at first; "Show older" adds as many again


def _day_label(value: datetime, today: datetime) -> str:
    day = value.astimezone().date()
    if day == today.date():
        return "Today"
    if day == (today - timedelta(days=1)).date():
        return "Yesterday"
    return day.strftime("%A %d %B %Y")


class NotificationsTab(DashboardTab):
    request_notifications = Signal(object)  # NotificationFilter
    request_mark_read = Signal(list)  # notification ids
    request_mark_all_read = Signal()

    def __init__(self, data: DataWorker, covers: Covers) -> None:
        super().__init__()
        self._covers = covers
        self._notification_limit = NOTIFICATION_PAGE
        self._build()
        self.request_notifications.connect(data.load_notifications)
        self.request_mark_read.connect(data.mark_read)
        self.request_mark_all_read.connect(data.mark_all_read)
        data.notifications_loaded.connect(self.show_notifications)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
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

    def refresh(self) -> None:
        self.request_notifications.emit(self._notification_filter())

    def _notification_filter(self) -> NotificationFilter:
        return NotificationFilter(
            bato_link=self.series_filter.currentData() or None,
            notification_type=self.type_filter.currentData() or None,
            unread_only=self.unread_only.isChecked(),
            limit=self._notification_limit,
        )

    def _filter_notifications(self) -> None:
        self._notification_limit = NOTIFICATION_PAGE
        self.refresh()

    def _show_older_notifications(self) -> None:
        self._notification_limit += NOTIFICATION_PAGE
        self.refresh()

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
            empty = QTreeWidgetItem(
                ["No notifications" + (" match the filter" if filtered else " yet")]
            )
            self.notifications.addTopLevelItem(empty)
            empty.setFirstColumnSpanned(True)

    def _notification_item(self, note: NotificationRow) -> QTreeWidgetItem:
        item = QTreeWidgetItem(
            [
                TYPE_ICONS.get(note.notification_type, "●"),
                local_time(note.created_at, "%H:%M"),
                note.manga_name,
                note.message,
            ]
        )
        item.setData(0, Qt.ItemDataRole.UserRole, note)
        colour = theme.importance_colour(note.importance)
        item.setForeground(0, colour)
        importance = IMPORTANCE_NAMES.get(note.importance, "normal")
        kind = note.notification_type.replace("_", " ")
        item.setToolTip(0, f"{importance.capitalize()} importance: {kind}")
        item.setData(
            0,
            Qt.ItemDataRole.AccessibleTextRole,
            f"{'unread' if not note.is_read else 'read'}, {importance} importance, {kind}",
        )
        item.setToolTip(3, note.chapter_full_url or note.message)
        if note.notification_type != "system_warning":
            item.setIcon(2, self._covers.icon(note.bato_link))
        if not note.is_read:
            for column in range(4):
                font = item.font(column)
                font.setBold(True)
                item.setFont(column, font)
        return item

    def show_covers(self, fresh: dict[str, QPixmap]) -> None:
        """Covers just decoded: the rows of those series get theirs."""
        for i in range(self.notifications.topLevelItemCount()):
            day = self.notifications.topLevelItem(i)
            for j in range(day.childCount() if day is not None else 0):
                item = day.child(j) if day is not None else None
                note = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
                if (
                    item is not None
                    and isinstance(note, NotificationRow)
                    and note.bato_link in fresh
                ):
                    item.setIcon(2, self._covers.icon(note.bato_link))

    def _fill_series_filter(self, series: list[tuple[str, str]]) -> None:
        current = self.series_filter.currentData()
        wanted = [("All series", ""), *((name, link) for link, name in series)]
        existing = [
            (self.series_filter.itemText(i), self.series_filter.itemData(i))
            for i in range(self.series_filter.count())
        ]
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

"""The Library tab: the add box, the tracked series, and the selected series' schedule
explanation, release history and controls; it also feeds the relink dialog."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from PySide6.QtCore import QDate, QSize, Qt, Signal, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from bato_desktop.core.errors import InvalidBatoLink
from bato_desktop.core.links import parse_link, parse_series_key
from bato_desktop.db.rows import SeriesOverview
from bato_desktop.engine.events import SeriesResult
from bato_desktop.ui import theme
from bato_desktop.ui.charts import ReleaseHistoryChart
from bato_desktop.ui.covers import THUMB_HEIGHT
from bato_desktop.ui.dashboard.common import Covers, DashboardTab, fit_columns, make_table
from bato_desktop.ui.data_worker import DataWorker, RelinkData, SeriesDetail
from bato_desktop.ui.models import LibraryModel
from bato_desktop.ui.relink_dialog import RelinkDialog, StrandedBanner


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class LibraryTab(DashboardTab):
    add_series_requested = Signal(str, object)  # link, AniList id or None
    check_now_requested = Signal(str)  # bato_link
    request_library = Signal()
    request_series_detail = Signal(str)
    request_remove = Signal(str)
    request_muted = Signal(str, bool)
    request_hide_from_toasts = Signal(str, object)  # link, True / False / None (by rating)
    request_priority = Signal(str, int)
    request_notify_after = Signal(str, int)
    request_pause_until = Signal(str, object)
    request_active = Signal(str, bool)
    request_relinks = Signal()
    request_undo_relink = Signal(str)

    def __init__(self, data: DataWorker, covers: Covers, relink_dialog: RelinkDialog) -> None:
        super().__init__()
        self._covers = covers
        self.relink_dialog = relink_dialog
        self._names: dict[str, str] = {}
        self._selected_link = ""
        self._notify_only = False
        self._hosts: tuple[str, ...] = ()
        self._build()
        self._wire(data)

    def _wire(self, data: DataWorker) -> None:
        self.request_library.connect(data.load_library)
        self.request_series_detail.connect(data.load_series_detail)
        self.request_remove.connect(data.remove_series)
        self.request_muted.connect(data.set_muted)
        self.request_hide_from_toasts.connect(data.set_hide_from_toasts)
        self.request_priority.connect(data.set_priority)
        self.request_notify_after.connect(data.set_notify_after)
        self.request_pause_until.connect(data.pause_series)
        self.request_active.connect(data.set_active)
        data.library_loaded.connect(self.show_library)
        data.series_detail_loaded.connect(self.show_series_detail)
        data.tracked.connect(self.on_series_tracked)
        # the relink dialog: its history and undo, and the stranded-series banner
        self.relink_dialog.history_requested.connect(self.request_relinks.emit)
        self.relink_dialog.undo_requested.connect(self.request_undo_relink.emit)
        self.request_relinks.connect(data.load_relinks)
        self.request_undo_relink.connect(data.undo_relink)
        data.relinks_loaded.connect(self.show_relinks)
        data.relink_undone.connect(self.relink_dialog.on_relink_undone)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        add_bar = QHBoxLayout()
        self.link_input = QLineEdit()
        self.link_input.setPlaceholderText(
            "Paste a Bato or XCOMIC link, e.g. https://xcomic.me/comic/vg7ypp-en-…"
        )
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
        self.library_view = make_table(self.library_model, "Tracked series")
        self.library_view.setIconSize(QSize(14, 20))
        self.filter_input.textChanged.connect(self.library_model.set_filter)
        self.library_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._on_series_selected(current.row())
        )
        splitter.addWidget(self.library_view)
        splitter.addWidget(self._build_detail())
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 4)
        layout.addWidget(splitter, 1)

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
        self.check_button.clicked.connect(lambda: self._with_series(self.check_now_requested.emit))
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
            "dashboard still lists them. Adult-rated series are hidden unless you show them."
        )
        self.hide_toasts_button.clicked.connect(self._toggle_hide_from_toasts)
        form = QFormLayout()
        self.priority_box = QComboBox()
        self.priority_box.setAccessibleName("Priority")
        for label, value in (("Normal", 1), ("High", 2), ("Urgent", 3)):
            self.priority_box.addItem(label, value)
        self.priority_box.activated.connect(
            lambda _i: self._with_series(
                lambda link: self.request_priority.emit(link, int(self.priority_box.currentData()))
            )
        )
        self.notify_after = QSpinBox()
        self.notify_after.setRange(1, 100)
        self.notify_after.setSuffix(" chapter(s)")
        self.notify_after.setAccessibleName("Notify after this many chapters")
        self.notify_after.editingFinished.connect(
            lambda: self._with_series(
                lambda link: self.request_notify_after.emit(link, self.notify_after.value())
            )
        )
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
        for i, button in enumerate(
            (
                self.check_button,
                self.mute_button,
                self.active_button,
                self.hide_toasts_button,
                self.remove_button,
            )
        ):
            buttons.addWidget(button, 0, i)
        left.addLayout(buttons)
        left.addLayout(form)
        layout.addLayout(left, 2)
        self.history_chart = ReleaseHistoryChart()
        layout.addWidget(self.history_chart, 3)
        self._set_detail_enabled(False)
        return box

    @property
    def selected_link(self) -> str:
        """The series shown in the detail box ("" when none is)."""
        return self._selected_link

    def refresh(self) -> None:
        self.request_library.emit()
        self.request_relinks.emit()  # the stranded-series banner
        if self._selected_link:
            self.request_series_detail.emit(self._selected_link)

    def set_hosts(self, hosts: tuple[str, ...]) -> None:
        self._hosts = tuple(hosts)

    def set_notify_only(self, notify_only: bool) -> None:
        self._notify_only = notify_only
        self.check_button.setEnabled(not notify_only)
        self.check_button.setToolTip(
            "Notify-only mode: another device checks Bato" if notify_only else ""
        )

    # -- the add box ------------------------------------------------------------------------

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
        self._set_add_status(
            f"Adding {link}…" if self._notify_only else f"Adding {link}: loading its chapters…",
            error=False,
        )
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

    def on_series_added(self, result: SeriesResult) -> None:
        self.add_button.setEnabled(True)
        self.link_input.clear()
        self.anilist_input.setValue(0)
        self._set_add_status(
            f"Tracking {result.name}: {result.chapters_found} chapters loaded.", error=False
        )
        self.refresh_requested.emit()

    def on_series_add_failed(self, link: str, message: str) -> None:
        self.add_button.setEnabled(True)
        self._set_add_status(f"{link}: {message}", error=True)
        self.refresh_requested.emit()

    # -- the list and the selected series ---------------------------------------------------

    @Slot(object)
    def show_library(self, rows: list[SeriesOverview]) -> None:
        self._names = {row.bato_link: row.name for row in rows}
        selected = self._selected_link
        first_fill = not self.library_model.rows
        self.library_model.set_rows(rows)
        if first_fill and rows:
            fit_columns(self.library_view, first_width=260)
        if selected:
            for row_number, row in enumerate(self.library_model.rows):
                if row.bato_link == selected:
                    self.library_view.selectRow(row_number)
                    break

    def _set_detail_enabled(self, enabled: bool) -> None:
        for widget in (
            self.check_button,
            self.mute_button,
            self.active_button,
            self.hide_toasts_button,
            self.remove_button,
            self.priority_box,
            self.notify_after,
            self.hiatus_date,
            self.hiatus_button,
        ):
            widget.setEnabled(enabled)
        self.check_button.setEnabled(enabled and not self._notify_only)

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
        self.hide_toasts_button.setText(
            "S&how in toasts" if row.hidden_in_toasts else "&Hide in toasts"
        )
        self._show_detail_cover()
        self.request_series_detail.emit(row.bato_link)

    @Slot(object)
    def show_series_detail(self, detail: SeriesDetail) -> None:
        if detail.bato_link != self._selected_link:
            return
        lines = "".join(
            f"<tr><td><b>{label}</b>&nbsp;</td><td>{_escape(text)}</td></tr>"
            for label, text in detail.explanation.lines
        )
        self.detail_text.setText(
            f"<h3>{_escape(detail.explanation.name)}</h3><table>{lines}</table>"
        )
        self.history_chart.set_times(detail.release_times)

    def show_covers(self, _fresh: dict[str, QPixmap]) -> None:
        self.library_model.set_covers(
            {link: QIcon(pixmap) for link, pixmap in self._covers.pixmaps.items()},
            QIcon(self._covers.missing),
        )
        self._show_detail_cover()

    def _show_detail_cover(self) -> None:
        pixmap = self._covers.pixmap(self._selected_link) if self._selected_link else QPixmap()
        if not pixmap.isNull() and pixmap.width() > THUMB_HEIGHT:
            pixmap = pixmap.scaledToWidth(THUMB_HEIGHT, Qt.TransformationMode.SmoothTransformation)
        self.detail_cover.setPixmap(pixmap)

    # -- the selected series' controls ------------------------------------------------------

    def _with_series(self, action: Callable[[str], object]) -> None:
        if self._selected_link:
            action(self._selected_link)

    def _toggle_mute(self, checked: bool) -> None:
        self._with_series(lambda link: self.request_muted.emit(link, checked))

    def _toggle_active(self, checked: bool) -> None:
        self._with_series(lambda link: self.request_active.emit(link, not checked))

    def _toggle_hide_from_toasts(self, checked: bool) -> None:
        self._with_series(lambda link: self.request_hide_from_toasts.emit(link, checked))

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
            self,
            "Remove series",
            f"Stop tracking {name}? Its chapters and notifications are removed too.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._selected_link = ""
            self._set_detail_enabled(False)
            self.request_remove.emit(link)

    # -- relink -----------------------------------------------------------------------------

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

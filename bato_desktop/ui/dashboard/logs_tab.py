"""The Logs tab: the scrape log, the series that keep failing (with "Retry failed only") and
the application's own log file."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bato_desktop.db.rows import SeriesOverview
from bato_desktop.ui.dashboard.common import PERIODS, DashboardTab, fit_columns, make_table
from bato_desktop.ui.data_worker import DataWorker, LogsData
from bato_desktop.ui.models import ErrorModel, LogModel

STATUSES = (
    ("All results", ""),
    ("Successful", "success"),
    ("Failed", "failed"),
    ("Rate limited", "rate_limited"),
)


class LogsTab(DashboardTab):
    request_logs = Signal(int, str)  # hours, status ("" = all)
    request_library = Signal()  # names for the log's series column
    request_retry_failed = Signal()
    request_app_log = Signal()

    def __init__(self, data: DataWorker) -> None:
        super().__init__()
        self._names: dict[str, str] = {}
        self._app_log_shown = False
        self._build()
        self.request_logs.connect(data.load_logs)
        self.request_library.connect(data.load_library)
        self.request_retry_failed.connect(data.retry_failed)
        self.request_app_log.connect(data.load_app_log)
        data.logs_loaded.connect(self.show_logs)
        data.app_log_loaded.connect(self.show_app_log)
        data.library_loaded.connect(self.show_names)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.log_period = QComboBox()
        self.log_period.setAccessibleName("Log period")
        for label, hours in PERIODS:
            self.log_period.addItem(label, hours)
        self.log_status = QComboBox()
        self.log_status.setAccessibleName("Log status filter")
        for label, value in STATUSES:
            self.log_status.addItem(label, value)
        for box in (self.log_period, self.log_status):
            box.currentIndexChanged.connect(lambda _i: self.refresh_requested.emit())
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
        self.log_view = make_table(self.log_model, "Scrape log")
        self.log_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        inner.addTab(self.log_view, "Scrape log")
        self.error_model = ErrorModel()
        self.error_view = make_table(self.error_model, "Series that keep failing")
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

    def refresh(self) -> None:
        self.request_library.emit()
        self.request_logs.emit(
            int(self.log_period.currentData()), str(self.log_status.currentData())
        )
        self.request_app_log.emit()

    @Slot(object)
    def show_names(self, rows: list[SeriesOverview]) -> None:
        self._names = {row.bato_link: row.name for row in rows}
        self.log_model.set_names(lambda link: self._names.get(link, link))

    @Slot(object)
    def show_logs(self, data: LogsData) -> None:
        first_fill = not self.log_model.rows
        self.log_model.set_rows(data.rows)
        if first_fill and data.rows:
            fit_columns(self.log_view, first_width=160)
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

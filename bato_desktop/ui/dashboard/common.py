"""What the dashboard's tabs share: the tab base class, the cover store and table helpers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from bato_desktop.ui.covers import app_icon_pixmap, pixmaps
from bato_desktop.ui.data_worker import CoversData
from bato_desktop.ui.models import RowTableModel

PERIODS = (("Last 24 hours", 24), ("Last 48 hours", 48), ("Last 7 days", 168))


class DashboardTab(QWidget):
    """One page of the dashboard: it asks the data worker for what it shows and paints the
    answers. The window calls :meth:`refresh` while the page is the visible one."""

    # A filter of this page changed, or an answer made its data stale: the window refreshes the
    # overview (it feeds the banner) and the visible page.
    refresh_requested = Signal()

    def refresh(self) -> None:
        """Ask the data worker for what this page shows."""


class Covers:
    """Decoded covers by series link, shared by the tabs (pixmaps are made on the GUI thread)."""

    def __init__(self) -> None:
        self.pixmaps: dict[str, QPixmap] = {}
        self.missing = app_icon_pixmap()  # for a series without a cover

    def add(self, data: CoversData) -> dict[str, QPixmap]:
        """Keep the covers the data worker decoded; returns the ones that came now."""
        fresh = pixmaps(data.images)
        self.pixmaps.update(fresh)
        return fresh

    def pixmap(self, bato_link: str) -> QPixmap:
        return self.pixmaps.get(bato_link, self.missing)

    def icon(self, bato_link: str) -> QIcon:
        return QIcon(self.pixmap(bato_link))


def make_table(model: RowTableModel[Any], name: str) -> QTableView:
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


def fit_columns(view: QTableView, *, first_width: int) -> None:
    """Size columns to their contents once (Qt samples rows, so this stays cheap)."""
    header = view.horizontalHeader()
    header.setResizeContentsPrecision(200)
    view.resizeColumnsToContents()
    for column in range(header.count() - 1):
        header.resizeSection(column, min(header.sectionSize(column), 320))
    header.resizeSection(0, max(header.sectionSize(0), first_width))

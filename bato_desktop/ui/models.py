"""Table models over plain rows: cheap enough for 2,000 series and 100,000 log rows.

Each model is reset with a whole new list from the data worker (no per-row widgets). Sorting
and filtering happen inside the model with Python's sort on precomputed keys: a
QSortFilterProxyModel would call ``data()`` millions of times for 100,000 rows and freeze the
window for seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont, QIcon

from bato_desktop.db.rows import ErrorEntry, LogRow, SeriesOverview
from bato_desktop.ui import theme

Row = TypeVar("Row")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Index = QModelIndex | QPersistentModelIndex


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone().strftime(fmt) if value else "–"


class Column(Generic[Row]):
    def __init__(
        self,
        title: str,
        text: Callable[[Row], str],
        sort: Callable[[Row], Any] | None = None,
        *,
        align_right: bool = False,
    ) -> None:
        self.title = title
        self.text = text
        self.sort = sort or text
        self.align_right = align_right


class RowTableModel(QAbstractTableModel, Generic[Row]):
    columns: Sequence[Column[Row]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []  # what the view shows: filtered and sorted
        self._all: list[Row] = []
        self._filter = ""
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows``; the same rows again change nothing (scroll and selection stay)."""
        if len(rows) == len(self._all) and list(rows) == self._all:
            return
        self.beginResetModel()
        self._all = list(rows)
        self.rows = self._arranged()
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        """Keep rows whose text in any column contains ``text`` (case-insensitive)."""
        self.beginResetModel()
        self._filter = text.strip().lower()
        self.rows = self._arranged()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self.rows = self._arranged()
        self.layoutChanged.emit()

    def _arranged(self) -> list[Row]:
        rows = self._all
        if self._filter:
            needle = self._filter
            rows = [
                row
                for row in rows
                if any(needle in column.text(row).lower() for column in self.columns)
            ]
        else:
            rows = list(rows)
        if self._sort is not None:
            column, order = self._sort
            key = self.columns[column].sort

            def sort_key(row: Row) -> tuple[bool, Any]:
                value = key(row)
                return (value is None, value if value is not None else 0)

            rows.sort(key=sort_key, reverse=order == Qt.SortOrder.DescendingOrder)
        return rows

    def row_at(self, row: int) -> Row:
        return self.rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.text(row)
        if role == SORT_ROLE:
            value = column.sort(row)
            return "" if value is None else value
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self.extra_data(row, index.column(), role)

    def extra_data(self, row: Row, column: int, role: int) -> Any:
        return None


def interval_text(row: SeriesOverview) -> str:
    days = row.average_release_interval_days
    if days is None:
        return "learning"
    return f"{days * 24:.0f} h" if days < 1 else f"{days:.1f} d"


def weekday_text(day: int | None) -> str:
    return WEEKDAYS[day] if day is not None and 0 <= day < 7 else "–"


def confidence_text(row: SeriesOverview) -> str:
    value = row.release_pattern_confidence
    return "–" if value is None else f"{value:.0%}"


def result_text(row: SeriesOverview) -> str:
    if not row.active:
        return "paused"
    if row.paused_until and row.paused_until > datetime.now(row.paused_until.tzinfo):
        return f"on hiatus until {local_time(row.paused_until, '%Y-%m-%d')}"
    if row.last_status == "success" or row.last_status is None:
        return row.last_status or "not checked yet"
    return f"{row.last_status}: {row.last_error or ''}".strip()


RESULT_COLUMN = 10


class LibraryModel(RowTableModel[SeriesOverview]):
    columns = (
        Column("Series", lambda r: r.name + ("  🔕" if r.muted else ""), lambda r: r.name.lower()),
        Column("Uploads", lambda r: r.upload_status or "?"),
        Column("Chapters", lambda r: str(r.chapters), lambda r: r.chapters, align_right=True),
        Column("Last chapter", lambda r: r.last_chapter or "–"),
        Column(
            "Released",
            lambda r: local_time(r.last_chapter_at, "%Y-%m-%d"),
            lambda r: r.last_chapter_at.timestamp() if r.last_chapter_at else 0,
        ),
        Column(
            "Interval", interval_text, lambda r: r.average_release_interval_days, align_right=True
        ),
        Column(
            "Weekday",
            lambda r: weekday_text(r.preferred_release_day),
            lambda r: r.preferred_release_day,
        ),
        Column(
            "Confidence", confidence_text, lambda r: r.release_pattern_confidence, align_right=True
        ),
        Column(
            "Last check",
            lambda r: local_time(r.last_scraped_at),
            lambda r: r.last_scraped_at.timestamp() if r.last_scraped_at else 0,
        ),
        Column(
            "Next check",
            lambda r: local_time(r.next_scrape_at),
            lambda r: r.next_scrape_at.timestamp() if r.next_scrape_at else 0,
        ),
        Column("Last result", result_text),
    )

    def __init__(self) -> None:
        super().__init__()
        self._covers: dict[str, QIcon] = {}
        self._no_cover: QIcon | None = None

    def set_covers(self, covers: dict[str, QIcon], fallback: QIcon | None = None) -> None:
        """Thumbnails for the Series column (GUI thread); a series without one shows
        ``fallback`` (the app icon)."""
        self._covers = covers
        self._no_cover = fallback
        if self.rows:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self.rows) - 1, 0),
                [Qt.ItemDataRole.DecorationRole],
            )

    def extra_data(self, row: SeriesOverview, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return self._covers.get(row.bato_link, self._no_cover)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and row.hidden_in_toasts:
            return "Hidden in toasts: they say only how many chapters are new"
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and column == RESULT_COLUMN
            and row.last_status in ("failed", "rate_limited")
        ):
            return QBrush(theme.error_colour())
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.schedule_reason or None
        return None


class LogModel(RowTableModel[LogRow]):
    def __init__(self, names: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._names = names or (lambda link: link)
        self.columns = (
            Column(
                "Time",
                lambda r: local_time(r.scraped_at, "%Y-%m-%d %H:%M:%S"),
                lambda r: r.scraped_at.timestamp(),
            ),
            Column("Series", lambda r: self._names(r.bato_link)),
            Column("Type", lambda r: r.scrape_type),
            Column("Status", lambda r: r.status),
            Column(
                "Chapters",
                lambda r: str(r.chapters_found),
                lambda r: r.chapters_found,
                align_right=True,
            ),
            Column(
                "New", lambda r: str(r.new_chapters), lambda r: r.new_chapters, align_right=True
            ),
            Column(
                "Duration",
                lambda r: f"{r.duration_seconds:.2f} s",
                lambda r: r.duration_seconds,
                align_right=True,
            ),
            Column("Error", lambda r: r.error_message or ""),
        )

    def set_names(self, names: Callable[[str], str]) -> None:
        self._names = names

    def extra_data(self, row: LogRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and row.status != "success":
            return QBrush(
                theme.error_colour() if row.status == "failed" else theme.warning_colour()
            )
        if role == Qt.ItemDataRole.FontRole and row.new_chapters and column == 5:
            font = QFont()
            font.setBold(True)
            return font
        return None


class ErrorModel(RowTableModel[ErrorEntry]):
    columns = (
        Column("Series", lambda r: r.name),
        Column("Failures", lambda r: str(r.count), lambda r: r.count, align_right=True),
        Column(
            "First seen", lambda r: local_time(r.first_seen), lambda r: r.first_seen.timestamp()
        ),
        Column("Last seen", lambda r: local_time(r.last_seen), lambda r: r.last_seen.timestamp()),
        Column("Error", lambda r: r.last_error or ""),
    )

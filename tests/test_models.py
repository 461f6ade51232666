"""Table models: sorting and filtering inside the model (fast for 100,000 rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from bato_desktop.db.rows import LogRow
from bato_desktop.ui.models import LogModel

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def rows() -> list[LogRow]:
    return [LogRow(i, 0, f"https://bato.to/title/{i}-s", "scheduled",
                   "failed" if i == 2 else "success", 10 * i, i % 2, None, 3.0 - i,
                   NOW - timedelta(minutes=i)) for i in range(4)]


def test_sort_and_filter_keep_the_rows_the_view_shows(qapp: object) -> None:
    model = LogModel(names=lambda link: "Series " + link.rsplit("/", 1)[-1])
    model.sort(6, Qt.SortOrder.AscendingOrder)  # duration
    model.set_rows(rows())
    assert [r.id for r in model.rows] == [3, 2, 1, 0]
    model.sort(0, Qt.SortOrder.DescendingOrder)  # newest first
    assert [r.id for r in model.rows] == [0, 1, 2, 3]
    assert model.index(0, 1).data() == "Series 0-s"
    model.set_filter("FAILED")
    assert [r.id for r in model.rows] == [2] and model.rowCount() == 1
    model.set_filter("")
    assert model.rowCount() == 4

"""Table models: sorting and filtering inside the model (fast for 100,000 rows)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from bato_desktop.db.rows import LogRow, SeriesOverview
from bato_desktop.ui.models import RESULT_COLUMN, LibraryModel, LogModel

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def rows() -> list[LogRow]:
    return [
        LogRow(
            i,
            0,
            f"https://bato.to/title/{i}-s",
            "scheduled",
            "failed" if i == 2 else "success",
            10 * i,
            i % 2,
            None,
            3.0 - i,
            NOW - timedelta(minutes=i),
        )
        for i in range(4)
    ]


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


def test_the_same_rows_again_do_not_reset_the_view(qapp: object) -> None:
    """A refresh that finds nothing new keeps the reader's scroll position and selection."""
    model = LogModel()
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.set_rows(rows())
    model.set_rows(rows())  # equal rows, new objects
    assert len(resets) == 1
    changed = rows()
    changed[1] = replace(changed[1], status="failed")
    model.set_rows(changed)
    assert len(resets) == 2 and model.rows[1].status == "failed"


def overview(index: int, **changes: object) -> SeriesOverview:
    row = SeriesOverview(
        bato_link=f"https://bato.to/title/{index}-s",
        bato_id=str(index),
        anilist_id=-index,
        name=f"Series {index}",
        upload_status="ongoing",
        chapters=10 * index,
        last_chapter=f"Chapter {index}",
        last_chapter_at=NOW - timedelta(days=index),
        last_scraped_at=NOW,
        next_scrape_at=NOW + timedelta(hours=index),
        last_status="success",
        last_error=None,
        schedule_reason="weekly on Thursdays",
        muted=False,
        average_release_interval_days=7.0,
        preferred_release_day=3,
        release_pattern_confidence=0.87,
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def test_library_model_columns_colours_and_unknown_values(qapp: object) -> None:
    model = LibraryModel()
    model.set_rows(
        [
            overview(1),
            overview(
                2,
                average_release_interval_days=None,
                preferred_release_day=None,
                release_pattern_confidence=None,
                muted=True,
            ),
            overview(
                3, last_status="failed", last_error="HTTP 502", average_release_interval_days=0.5
            ),
        ]
    )
    text = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(3)]
    assert text[0][5:8] == ["7.0 d", "Thu", "87%"]
    assert text[1][5:8] == ["learning", "–", "–"] and "🔕" in text[1][0]
    assert text[2][5] == "12 h" and text[2][RESULT_COLUMN] == "failed: HTTP 502"
    assert model.index(2, RESULT_COLUMN).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "weekly on Thursdays"
    assert model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole) == "Series 1"
    model.sort(7, Qt.SortOrder.AscendingOrder)  # confidence; unknown sorts last
    assert [r.bato_id for r in model.rows][-1] == "2"
    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert [r.chapters for r in model.rows] == [30, 20, 10]
    assert model.rowCount(model.index(0, 0)) == 0  # a table, not a tree


def test_hundred_thousand_rows_load_sort_and_filter(qapp: object) -> None:
    """Correct at 100,000 rows; the speed is measured by benchmarks/views.py."""
    many = [
        LogRow(
            i,
            0,
            f"https://bato.to/title/{i % 2000}-s",
            "scheduled",
            "failed" if i % 17 == 0 else "success",
            i % 200,
            i % 3,
            None,
            (i * 7919) % 1000 / 100,
            NOW - timedelta(seconds=6 * i),
        )
        for i in range(100_000)
    ]
    model = LogModel()
    model.set_rows(many)
    model.sort(6, Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == 100_000
    durations = [r.duration_seconds for r in model.rows[:1000]]
    assert durations == sorted(durations, reverse=True)
    model.set_filter("failed")
    assert model.rowCount() == len([r for r in many if r.status == "failed"])
    assert all(r.status == "failed" for r in model.rows)

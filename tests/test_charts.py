"""The overview's activity chart: stacked bars per hour, updated in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCharts import QStackedBarSeries
from pytestqt.qtbot import QtBot

from bato_desktop.db.rows import HourBucket
from bato_desktop.ui.charts import ActivityChart, label_step, nice_axis

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def buckets(hours: int, *, busy: int = -1) -> list[HourBucket]:
    return [
        HourBucket(
            START + timedelta(hours=h),
            successful=h % 4,
            failed=h % 2,
            rate_limited=1 if h == busy else 0,
            new_chapters=h % 3,
        )
        for h in range(hours)
    ]


def test_checks_ok_failed_and_new_chapters_stack_per_hour(qtbot: QtBot) -> None:
    chart = ActivityChart()
    qtbot.addWidget(chart)
    series = chart.chart().series()
    assert len(series) == 1 and isinstance(series[0], QStackedBarSeries)
    assert [s.label() for s in chart.bars.barSets()] == [
        "Successful checks",
        "Failed checks",
        "New chapters",
    ]
    chart.set_buckets(buckets(24, busy=5))
    ok, bad, new = chart.values()
    assert ok == [float(h % 4) for h in range(24)]
    assert bad == [float(h % 2 + (h == 5)) for h in range(24)]  # a 429 counts as failed
    assert new == [float(h % 3) for h in range(24)]
    tallest = max(o + b + n for o, b, n in zip(ok, bad, new, strict=True))
    assert chart._y_axis.max() == nice_axis(tallest)[0]
    labels = chart.labels()
    assert len(labels) == 24 // label_step(24) and len(set(labels)) == len(labels)
    assert "6 successful and 13 failed checks" in chart.accessibleDescription()


def test_new_figures_update_the_bars_in_place(qtbot: QtBot) -> None:
    chart = ActivityChart()
    qtbot.addWidget(chart)
    chart.set_buckets(buckets(24))
    first_sets = chart.bars.barSets()
    changed: list[int] = []
    first_sets[0].valueChanged.connect(changed.append)
    figures = buckets(24)
    figures[-1] = HourBucket(figures[-1].hour, 9, 0, 0, 1)
    chart.set_buckets(figures)
    assert changed == [23]  # only the hour that changed
    assert chart.bars.barSets() == first_sets and chart.chart().series() == [chart.bars]
    chart.set_buckets(buckets(168))  # another period: all values swapped, same objects
    assert [len(v) for v in chart.values()] == [168, 168, 168]
    assert chart.chart().series() == [chart.bars]
    days = chart.labels()
    assert len(days) in (7, 8) and all(len(day.split()) == 2 for day in days)  # "Mon 02"
    chart.set_buckets(buckets(48))
    assert len(chart.labels()) == 8  # 06:00 twice in 48 h: both kept

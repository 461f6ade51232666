"""QtCharts views: scrape activity per hour (stacked bars), and a series' release history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCharts import (
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QWidget

from bato_desktop.db.rows import HourBucket
from bato_desktop.ui import theme


def nice_axis(peak: float, max_ticks: int = 6) -> tuple[int, int]:
    """(top, tick count) for a 0-based integer axis whose ticks land on round numbers."""
    peak = max(1, int(-(-peak // 1)))
    for scale in (1, 10, 100, 1000, 10_000, 100_000, 1_000_000):
        for step in (1 * scale, 2 * scale, 5 * scale):
            intervals = -(-peak // step)
            if intervals <= max_ticks - 1:
                return intervals * step, intervals + 1
    return peak, 2


def _themed(chart: QChart) -> None:
    """Light or dark chart theme after the system palette; the widget's own background shows."""
    chart.setTheme(
        QChart.ChartTheme.ChartThemeDark if theme.is_dark() else QChart.ChartTheme.ChartThemeLight
    )
    chart.setBackgroundVisible(False)
    chart.setPlotAreaBackgroundVisible(False)
    chart.legend().setLabelColor(theme.text_colour())
    chart.setTitleBrush(theme.text_colour())


def _ms(at: datetime) -> float:
    return float(QDateTime.fromSecsSinceEpoch(int(at.timestamp())).toMSecsSinceEpoch())


def label_step(hours: int) -> int:
    """Hours between two labels of the activity chart's time axis."""
    return 3 if hours <= 24 else 6 if hours <= 48 else 24


class ActivityChart(QChartView):
    """Checks that succeeded, checks that failed and new chapters per hour, as stacked bars.

    A bar per hour (zero-filled) reads better than crossing lines for counts. The series, its
    three bar sets and the axes are built once; new figures replace the values that changed.
    Rebuilding them on every refresh cost ~10 ms of GUI time, and the dashboard refreshes
    during every cycle.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        _themed(chart)
        chart.setTitle("Activity per hour")
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName("Scrape activity per hour")
        self.setMinimumHeight(240)
        self._buckets: list[HourBucket] | None = None
        self.bars = QStackedBarSeries()
        self.bars.setBarWidth(0.85)
        self._ok = QBarSet("Successful checks")
        self._bad = QBarSet("Failed checks")
        self._new = QBarSet("New chapters")
        for bar_set in (self._ok, self._bad, self._new):
            self.bars.append(bar_set)
        self._x_axis = QCategoryAxis()
        self._x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        self._x_axis.setGridLineVisible(False)
        self._y_axis = QValueAxis()
        self._y_axis.setLabelFormat("%d")
        chart.addSeries(self.bars)
        chart.addAxis(self._x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self._y_axis, Qt.AlignmentFlag.AlignLeft)
        self.bars.attachAxis(self._x_axis)
        self.bars.attachAxis(self._y_axis)
        self._recolour()

    def _recolour(self) -> None:
        for bar_set, colour in (
            (self._ok, theme.success_colour()),
            (self._bad, theme.error_colour()),
            (self._new, theme.accent_colour()),
        ):
            bar_set.setColor(colour)
            bar_set.setBorderColor(colour)
        for axis in (self._x_axis, self._y_axis):
            axis.setLabelsColor(theme.text_colour())

    def apply_palette(self) -> None:
        """Redraw in the current light or dark palette (after the system theme changed)."""
        _themed(self.chart())
        self._recolour()

    def values(self) -> tuple[list[float], list[float], list[float]]:
        """What the bars show: successful, failed (429s included) and new, per hour."""
        ok, bad, new = (
            [bar_set.at(i) for i in range(bar_set.count())]
            for bar_set in (self._ok, self._bad, self._new)
        )
        return ok, bad, new

    def labels(self) -> list[str]:
        """The time axis' labels, left to right."""
        return [label.rstrip("\u200b") for label in self._x_axis.categoriesLabels()]

    def set_buckets(self, buckets: Sequence[HourBucket]) -> None:
        buckets = list(buckets)
        if buckets == self._buckets:
            return  # the same hour figures: nothing to redraw
        self._buckets = buckets
        self.setAccessibleDescription(
            f"{sum(b.successful for b in buckets)} successful and "
            f"{sum(b.failed + b.rate_limited for b in buckets)} failed checks, "
            f"{sum(b.new_chapters for b in buckets)} new chapters over {len(buckets)} hours"
        )
        for bar_set, figures in (
            (self._ok, [b.successful for b in buckets]),
            (self._bad, [b.failed + b.rate_limited for b in buckets]),
            (self._new, [b.new_chapters for b in buckets]),
        ):
            _update_bar_set(bar_set, [float(n) for n in figures])
        self._label_hours([b.hour for b in buckets])
        peak = max([b.total + b.new_chapters for b in buckets] + [1])
        top, ticks = nice_axis(peak)
        self._y_axis.setRange(0, top)
        self._y_axis.setTickCount(ticks)

    def _label_hours(self, hours: Sequence[datetime]) -> None:
        """Labels at the left edge of whole local hours (days for a week), each once."""
        for label in self._x_axis.categoriesLabels():
            self._x_axis.remove(label)
        step = label_step(len(hours))
        used: set[str] = set()
        for index, hour in enumerate(hours):
            local = hour.astimezone()
            if local.hour % step:
                continue
            label = local.strftime("%a %d" if step >= 24 else "%H:%M")
            while label in used:  # the axis wants unique labels: 06:00 comes twice in 48 h
                label += "\u200b"
            used.add(label)
            self._x_axis.append(label, index - 0.5)
        self._x_axis.setStartValue(-0.5)
        self._x_axis.setRange(-0.5, max(len(hours), 1) - 0.5)


def _update_bar_set(bar_set: QBarSet, values: list[float]) -> None:
    """Replace only the values that changed (usually the current hour's); a new length (the
    period changed) swaps them all at once, which is far cheaper than one call per bar."""
    if bar_set.count() == len(values):
        for index, value in enumerate(values):
            if bar_set.at(index) != value:
                bar_set.replace(index, value)
        return
    if bar_set.count():
        bar_set.remove(0, bar_set.count())
    bar_set.append(values)


class ReleaseHistoryChart(QChartView):
    """Cumulative chapters over time: steps show the rhythm, flat stretches the hiatuses."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        _themed(chart)
        chart.setTitle("Release history")
        chart.legend().hide()
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName("Release history: chapters over time")
        self.setMinimumHeight(200)
        self._times: list[datetime] = []

    def apply_palette(self) -> None:
        _themed(self.chart())
        self.set_times(self._times)

    def set_times(self, times: Sequence[datetime]) -> None:
        self._times = list(times)
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        if not times:
            chart.setTitle("Release history (no dated chapters yet)")
            return
        chart.setTitle(f"Release history ({len(times)} chapters)")
        line = QLineSeries()
        line.setPen(QPen(theme.accent_colour(), 2))
        for count, at in enumerate(sorted(times), start=1):
            line.append(_ms(at), count)
        chart.addSeries(line)
        x_axis = QDateTimeAxis()
        x_axis.setFormat("yyyy-MM")
        x_axis.setTickCount(6)
        y_axis = QValueAxis()
        y_axis.setLabelFormat("%d")
        top, ticks = nice_axis(len(times))
        y_axis.setRange(0, top)
        y_axis.setTickCount(ticks)
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        line.attachAxis(x_axis)
        line.attachAxis(y_axis)

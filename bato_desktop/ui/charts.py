"""QtCharts views: scrape activity per hour, and a series' release history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCharts import QChart, QChartView, QDateTimeAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QDateTime, QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from bato_desktop.db.rows import HourBucket
from bato_desktop.ui import theme


def _line(name: str, colour: QColor, width: float = 2) -> QLineSeries:
    series = QLineSeries()
    series.setName(name)
    series.setPen(QPen(colour, width))
    return series


def nice_axis(peak: float, max_ticks: int = 6) -> tuple[int, int]:
    """(top, tick count) for a 0-based integer axis whose ticks land on round numbers."""
    peak = max(1, int(-(-peak // 1)))
    for scale in (1, 10, 100, 1000, 10_000, 100_000, 1_000_000):
        for step in (1 * scale, 2 * scale, 5 * scale):
            intervals = -(-peak // step)
            if intervals <= max_ticks - 1:
                return intervals * step, intervals + 1
    return peak, 2


def hour_ticks(hours: int) -> int:
    """A tick count that puts ticks on whole hours (whole days for a week or more)."""
    if hours >= 72 and hours % 24 == 0 and hours // 24 <= 8:
        return hours // 24 + 1
    for intervals in (8, 6, 4, 3, 2):
        if hours % intervals == 0:
            return intervals + 1
    return 2


def _themed(chart: QChart) -> None:
    """Light or dark chart theme after the system palette; the widget's own background shows."""
    chart.setTheme(QChart.ChartTheme.ChartThemeDark if theme.is_dark()
                   else QChart.ChartTheme.ChartThemeLight)
    chart.setBackgroundVisible(False)
    chart.setPlotAreaBackgroundVisible(False)
    chart.legend().setLabelColor(theme.text_colour())
    chart.setTitleBrush(theme.text_colour())


def _ms(at: datetime) -> float:
    return float(QDateTime.fromSecsSinceEpoch(int(at.timestamp())).toMSecsSinceEpoch())


class ActivityChart(QChartView):
    """Successful checks, failed checks and new chapters per hour (zero-filled).

    The series and axes are built once; new figures replace their points. Rebuilding them on
    every refresh cost ~10 ms of GUI time, and the dashboard refreshes during every cycle.
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
        self._ok = _line("Successful checks", theme.success_colour())
        self._bad = _line("Failed checks", theme.error_colour())
        self._new = _line("New chapters", theme.accent_colour(), 3)
        self._x_axis = QDateTimeAxis()
        self._y_axis = QValueAxis()
        self._y_axis.setLabelFormat("%d")
        chart.addAxis(self._x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self._y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (self._ok, self._bad, self._new):
            chart.addSeries(series)
            series.attachAxis(self._x_axis)
            series.attachAxis(self._y_axis)
        self._recolour()

    def _recolour(self) -> None:
        for series, colour, width in ((self._ok, theme.success_colour(), 2),
                                      (self._bad, theme.error_colour(), 2),
                                      (self._new, theme.accent_colour(), 3)):
            series.setPen(QPen(colour, width))
        for axis in (self._x_axis, self._y_axis):
            axis.setLabelsColor(theme.text_colour())

    def apply_palette(self) -> None:
        """Redraw in the current light or dark palette (after the system theme changed)."""
        _themed(self.chart())
        self._recolour()

    def set_buckets(self, buckets: Sequence[HourBucket]) -> None:
        buckets = list(buckets)
        if buckets == self._buckets:
            return  # the same hour figures: nothing to redraw
        self._buckets = buckets
        self.setAccessibleDescription(
            f"{sum(b.successful for b in buckets)} successful and "
            f"{sum(b.failed + b.rate_limited for b in buckets)} failed checks, "
            f"{sum(b.new_chapters for b in buckets)} new chapters over {len(buckets)} hours")
        xs = [_ms(bucket.hour) for bucket in buckets]
        self._ok.replace([QPointF(x, b.successful) for x, b in zip(xs, buckets, strict=True)])
        self._bad.replace([QPointF(x, b.failed + b.rate_limited)
                           for x, b in zip(xs, buckets, strict=True)])
        self._new.replace([QPointF(x, b.new_chapters) for x, b in zip(xs, buckets, strict=True)])
        self._x_axis.setFormat("HH:mm" if len(buckets) <= 48 else "ddd dd")
        if buckets:
            self._x_axis.setRange(QDateTime.fromMSecsSinceEpoch(int(xs[0])),
                                  QDateTime.fromMSecsSinceEpoch(int(xs[0] + len(buckets) * 3.6e6)))
        self._x_axis.setTickCount(hour_ticks(len(buckets)))
        peak = max([b.successful for b in buckets]
                   + [b.failed + b.rate_limited for b in buckets]
                   + [b.new_chapters for b in buckets] + [1])
        top, ticks = nice_axis(peak)
        self._y_axis.setRange(0, top)
        self._y_axis.setTickCount(ticks)


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

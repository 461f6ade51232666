"""QtCharts views: scrape activity per hour, and a series' release history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCharts import QChart, QChartView, QDateTimeAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QDateTime, QMargins, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from bato_desktop.db.rows import HourBucket
from bato_desktop.ui import theme


def _line(name: str, colour: QColor, width: float = 2) -> QLineSeries:
    series = QLineSeries()
    series.setName(name)
    series.setPen(QPen(colour, width))
    return series


def _ms(at: datetime) -> float:
    return float(QDateTime.fromSecsSinceEpoch(int(at.timestamp())).toMSecsSinceEpoch())


class ActivityChart(QChartView):
    """Successful checks, failed checks and new chapters per hour (zero-filled)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle("Activity per hour")
        chart.setBackgroundVisible(False)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName("Scrape activity per hour")
        self.setMinimumHeight(240)

    def set_buckets(self, buckets: Sequence[HourBucket]) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        ok = _line("Successful checks", theme.success_colour())
        bad = _line("Failed checks", theme.error_colour())
        new = _line("New chapters", theme.accent_colour(), 3)
        for bucket in buckets:
            x = _ms(bucket.hour)
            ok.append(x, bucket.successful)
            bad.append(x, bucket.failed + bucket.rate_limited)
            new.append(x, bucket.new_chapters)
        x_axis = QDateTimeAxis()
        x_axis.setFormat("HH:mm" if len(buckets) <= 48 else "MM-dd")
        x_axis.setTickCount(7)
        y_axis = QValueAxis()
        peak = max([b.total for b in buckets] + [b.new_chapters for b in buckets] + [1])
        y_axis.setRange(0, peak)
        y_axis.setLabelFormat("%d")
        y_axis.setTickCount(min(peak + 1, 6))
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (ok, bad, new):
            chart.addSeries(series)
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)


class ReleaseHistoryChart(QChartView):
    """Cumulative chapters over time: steps show the rhythm, flat stretches the hiatuses."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle("Release history")
        chart.legend().hide()
        super().__init__(chart, parent)
        chart.setBackgroundVisible(False)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName("Release history: chapters over time")
        self.setMinimumHeight(200)

    def set_times(self, times: Sequence[datetime]) -> None:
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
        y_axis.setRange(0, len(times))
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        line.attachAxis(x_axis)
        line.attachAxis(y_axis)

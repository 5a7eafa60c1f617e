"""A memory's forgetting curve (retention over time) with its recall events, as a QtCharts view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCharts import (
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget


def _ms(when: datetime) -> float:
    return when.timestamp() * 1000.0


class ForgettingChart(QChartView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumWidth(320)
        self.points = 0
        self.recalls = 0
        self.show_curve([], [])

    def show_curve(
        self, points: Sequence[tuple[datetime, float]], recalls: Sequence[datetime]
    ) -> None:
        chart = QChart()
        chart.setTitle("Forgetting curve")
        chart.legend().hide()
        curve = QLineSeries()
        for when, retention in points:
            curve.append(_ms(when), retention * 100.0)
        marks = QScatterSeries()
        marks.setMarkerSize(9.0)
        for when in recalls:
            marks.append(_ms(when), 100.0)
        chart.addSeries(curve)
        chart.addSeries(marks)
        x = QDateTimeAxis()
        x.setFormat("MMM d")
        y = QValueAxis()
        y.setRange(0.0, 100.0)
        y.setLabelFormat("%d%%")
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for series in (curve, marks):
            series.attachAxis(x)
            series.attachAxis(y)
        if points:
            x.setRange(
                QDateTime.fromMSecsSinceEpoch(int(_ms(points[0][0]))),
                QDateTime.fromMSecsSinceEpoch(int(_ms(points[-1][0])) + 60_000),
            )
        old = self.chart()
        self.setChart(chart)
        if old is not None:
            old.deleteLater()
        self.points = len(points)
        self.recalls = len(recalls)

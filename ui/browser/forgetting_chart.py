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
from PySide6.QtCore import QDateTime, QEvent, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from ui.theme import apply as theme
from ui.theme.charts import style_chart


def _ms(when: datetime) -> float:
    return when.timestamp() * 1000.0


class ForgettingChart(QChartView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumWidth(320)
        self.points = 0
        self.recalls = 0
        self._shown: tuple[Sequence[tuple[datetime, float]], Sequence[datetime]] = ([], [])
        self.show_curve([], [])

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() in theme.PALETTE_EVENTS:
            self.show_curve(*self._shown)  # light/dark switched: redraw in the new colours
        super().changeEvent(event)

    def show_curve(
        self, points: Sequence[tuple[datetime, float]], recalls: Sequence[datetime]
    ) -> None:
        self._shown = (points, recalls)
        p = theme.current()
        chart = QChart()
        chart.setTitle(
            "Forgetting curve" if points else "Select a memory to see its forgetting curve"
        )
        chart.legend().hide()
        curve = QLineSeries()
        curve.setPen(QPen(QColor(p.accent), 2.0))
        for when, retention in points:
            curve.append(_ms(when), retention * 100.0)
        marks = QScatterSeries()
        marks.setMarkerSize(9.0)
        marks.setColor(QColor(p.chip_text if p.scheme == "light" else p.chip_bg))
        marks.setBorderColor(QColor(p.surface))
        for when in recalls:
            marks.append(_ms(when), 100.0)
        chart.addSeries(curve)
        chart.addSeries(marks)
        x = QDateTimeAxis()
        x.setFormat("MMM d")
        y = QValueAxis()
        y.setRange(0.0, 100.0)
        y.setLabelFormat("%d%%")
        y.setTitleText("retention")
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
        else:  # nothing to date: an axis of one repeated default date ("Jan 1" x5) says nothing
            x.setLabelsVisible(False)
            x.setGridLineVisible(False)
        style_chart(chart, p)
        old = self.chart()
        self.setChart(chart)
        if old is not None:
            old.deleteLater()
        self.points = len(points)
        self.recalls = len(recalls)

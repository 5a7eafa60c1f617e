"""QtCharts in the palette: background, title, legend, axes and grid (QtCharts' own themes
draw light unless told otherwise)."""

from __future__ import annotations

from PySide6.QtCharts import QAbstractAxis, QChart
from PySide6.QtGui import QBrush, QColor, QPen

from ui.theme.palette import Palette


def style_chart(chart: QChart, p: Palette) -> None:
    chart.setBackgroundBrush(QBrush(QColor(p.surface)))
    chart.setBackgroundRoundness(6)
    chart.setTitleBrush(QBrush(QColor(p.text)))
    chart.legend().setLabelColor(QColor(p.text))
    for axis in chart.axes():
        style_axis(axis, p)


def style_axis(axis: QAbstractAxis, p: Palette) -> None:
    axis.setLabelsColor(QColor(p.text_muted))
    axis.setTitleBrush(QBrush(QColor(p.text_muted)))
    axis.setLinePenColor(QColor(p.border))
    axis.setGridLineColor(QColor(p.border))
    axis.setShadesPen(QPen(QColor(p.border)))

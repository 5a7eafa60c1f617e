"""Overview timeline: memories per day (by event time), stacked by retention band."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from PySide6.QtCharts import QBarCategoryAxis, QBarSet, QChart, QChartView, QStackedBarSeries
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from ui.browser.memory_model import MemoryRow

BANDS = (
    ("retention ≥ 75%", "#2e7d32"),  # memories per day, by band
    ("40–75%", "#9e9d24"),
    ("under 40%", "#ef6c00"),
    ("faded", "#9e9e9e"),
)
MAX_DAYS = 30  # the most recent days that have memories


def band(row: MemoryRow) -> int:
    if row.memory.state == "faded":
        return 3
    r = 1.0 if row.retention is None else row.retention
    return 0 if r >= 0.75 else 1 if r >= 0.4 else 2


class TimelineChart(QChartView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(140)
        self.setToolTip("Memories per day, coloured by retention")
        self.counts: dict[str, list[int]] = {}
        self.show_rows([])

    def show_rows(self, rows: Sequence[MemoryRow]) -> None:
        per_day: dict[str, Counter[int]] = {}
        for row in rows:
            day = f"{row.memory.event_time.astimezone():%Y-%m-%d}"
            per_day.setdefault(day, Counter())[band(row)] += 1
        days = sorted(per_day)[-MAX_DAYS:]
        self.counts = {d: [per_day[d][b] for b in range(len(BANDS))] for d in days}
        series = QStackedBarSeries()
        for b, (label, colour) in enumerate(BANDS):
            bar_set = QBarSet(label)
            bar_set.setColor(QColor(colour))
            bar_set.append([float(self.counts[d][b]) for d in days])
            series.append(bar_set)
        chart = QChart()
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
        chart.addSeries(series)
        axis = QBarCategoryAxis()
        axis.append([d[5:] for d in days])
        chart.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis)
        old = self.chart()
        self.setChart(chart)
        if old is not None:
            old.deleteLater()

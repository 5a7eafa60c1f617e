"""Overview timeline: memories per day (by event time), stacked by retention band."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QEvent, QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from ui.browser.memory_model import MemoryRow
from ui.theme import apply as theme
from ui.theme.charts import style_chart

BANDS = ("retention ≥ 75%", "40–75%", "under 40%", "faded")  # colours: Palette.bands
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
        self._rows: Sequence[MemoryRow] = []
        self.show_rows([])

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() in theme.PALETTE_EVENTS:
            self.show_rows(self._rows)  # light/dark switched: redraw in the new colours
        super().changeEvent(event)

    def show_rows(self, rows: Sequence[MemoryRow]) -> None:
        self._rows = rows
        p = theme.current()
        per_day: dict[str, Counter[int]] = {}
        for row in rows:
            day = f"{row.memory.event_time.astimezone():%Y-%m-%d}"
            per_day.setdefault(day, Counter())[band(row)] += 1
        days = sorted(per_day)[-MAX_DAYS:]
        self.counts = {d: [per_day[d][b] for b in range(len(BANDS))] for d in days}
        series = QStackedBarSeries()
        for b, (label, colour) in enumerate(zip(BANDS, p.bands, strict=True)):
            bar_set = QBarSet(label)
            bar_set.setColor(QColor(colour))
            bar_set.setBorderColor(QColor(colour))
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
        most = max((sum(c) for c in self.counts.values()), default=0)
        y = QValueAxis()
        top = max(most + most % 2, 1)  # even, so the middle tick is a whole number too
        y.setRange(0, top)
        y.setTickCount(2 if top == 1 else 3)  # 0, middle, top: room for labels in a short chart
        y.setLabelFormat("%d")
        y.setTitleText("memories")
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(y)
        style_chart(chart, p)
        old = self.chart()
        self.setChart(chart)
        if old is not None:
            old.deleteLater()

"""Qt item models for the memory browser: the table of memories, its filter, the retention bar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from memory.records import Memory

ROLE_SORT = Qt.ItemDataRole.UserRole + 1
ROLE_ID = Qt.ItemDataRole.UserRole + 2
ROLE_MEMORY = Qt.ItemDataRole.UserRole + 3

COLUMNS = ("Text", "Kind", "Created", "Last recalled", "Strength (days)", "Retention")
COL_TEXT, COL_KIND, COL_CREATED, COL_RECALLED, COL_STRENGTH, COL_RETENTION = range(6)
STATES = ("any", "active", "faded", "superseded", "pinned")
PERIODS = (
    ("Any time", None),
    ("Today", 1),
    ("Last 7 days", 7),
    ("Last 30 days", 30),
    ("Last year", 365),
)

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class MemoryRow:
    memory: Memory
    retention: float | None  # None while the models are still loading


def _when(value: datetime | None) -> str:
    return "" if value is None else f"{value.astimezone():%Y-%m-%d %H:%M}"


class MemoryTableModel(QAbstractTableModel):
    """The memories a page at a time, newest first: the view asks for more (`fetchMore`) as
    it is scrolled to the end, and `more_wanted` tells the browser to load the next page."""

    more_wanted = Signal(int)  # offset: rows already listed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[MemoryRow] = []
        self.has_more = False  # the last page was full: there may be older memories
        self._asked = False  # a page is being loaded

    def set_rows(self, rows: Sequence[MemoryRow], has_more: bool = False) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.has_more = has_more
        self._asked = False
        self.endResetModel()

    def append_rows(self, rows: Sequence[MemoryRow], has_more: bool) -> None:
        known = {r.memory.id for r in self.rows}
        fresh = [r for r in rows if r.memory.id not in known]  # a write may shift the pages
        if fresh:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self.rows.extend(fresh)
            self.endInsertRows()
        self.has_more = has_more
        self._asked = False

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self.has_more and not self._asked

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._asked = True
            self.more_wanted.emit(len(self.rows))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = 0
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        m = row.memory
        col = index.column()
        if role == ROLE_ID:
            return m.id
        if role == ROLE_MEMORY:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == ROLE_SORT:
            return self._sort_key(row, col)
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_TEXT:
            return m.text
        return None

    @staticmethod
    def _display(row: MemoryRow, col: int) -> str:
        m = row.memory
        if col == COL_TEXT:
            text = m.text.replace("\n", " ")
            return text[:200] + "…" if len(text) > 200 else text
        if col == COL_KIND:
            marks = ([] if m.state == "active" else [str(m.state)]) + (
                ["pinned"] if m.pinned else []
            )
            marks += ([] if m.space == "personal" else [m.space]) + (["shared"] if m.shared else [])
            return f"{m.kind} ({', '.join(marks)})" if marks else str(m.kind)
        if col == COL_CREATED:
            return _when(m.created_at)
        if col == COL_RECALLED:
            return _when(m.last_recalled_at)
        if col == COL_STRENGTH:
            return f"{m.strength:.2f}"
        return "" if row.retention is None else f"{row.retention:.0%}"

    @staticmethod
    def _sort_key(row: MemoryRow, col: int) -> Any:
        m = row.memory
        if col == COL_TEXT:
            return m.text.lower()
        if col == COL_KIND:
            return str(m.kind)
        if col == COL_CREATED:
            return m.created_at.timestamp()
        if col == COL_RECALLED:
            return m.last_recalled_at.timestamp() if m.last_recalled_at else 0.0
        if col == COL_STRENGTH:
            return m.strength
        return -1.0 if row.retention is None else row.retention


class MemoryFilterProxy(QSortFilterProxyModel):
    """Plain text match, kind and state filters; or, after a recall search, just its results."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.kind = ""  # "" = any
        self.space = ""  # "" = every space; else that space and the shared memories
        self.state = "any"
        self.recalled: set[str] | None = None
        self.since: datetime | None = None  # event_time on or after
        self.setSortRole(ROLE_SORT)

    def set_filters(
        self,
        *,
        text: str | None = None,
        kind: str | None = None,
        state: str | None = None,
        recalled: set[str] | None | bool = False,
        since: datetime | None | bool = False,
        space: str | None = None,
    ) -> None:
        self.beginFilterChange()
        if space is not None:
            self.space = space
        if text is not None:
            self.text = text.strip().lower()
        if kind is not None:
            self.kind = kind
        if state is not None:
            self.state = state
        if since is not False:
            self.since = since if isinstance(since, datetime) else None
        if recalled is not False:
            self.recalled = recalled if isinstance(recalled, set) else None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:  # noqa: N802
        model = self.sourceModel()
        if not isinstance(model, MemoryTableModel):
            return True
        m = model.rows[source_row].memory
        if self.kind and m.kind != self.kind:
            return False
        if self.space and m.space != self.space and not m.shared:
            return False
        if self.since is not None and m.event_time < self.since:
            return False
        if self.state == "pinned" and not m.pinned:
            return False
        if self.state not in ("any", "pinned") and m.state != self.state:
            return False
        if self.recalled is not None:
            return m.id in self.recalled
        return not self.text or self.text in m.text.lower()


class RetentionDelegate(QStyledItemDelegate):
    """Draws retention as a progress bar with the percentage on it."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        row = index.data(ROLE_MEMORY)
        if not isinstance(row, MemoryRow) or row.retention is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum = 0
        bar.maximum = 100
        bar.progress = round(row.retention * 100)
        bar.text = f"{row.retention:.0%}"
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)

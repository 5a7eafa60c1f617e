"""The memory browser: list, search and filter memories; inspect one; pin, restore, edit, forget."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.services.curation import MemoryCuration
from app.services.people import PeopleService, Timeline
from app.services.privacy import PrivacyService
from memory.errors import EntityError
from memory.records import Kind, Link, State
from ui.browser.forgetting_chart import ForgettingChart
from ui.browser.memory_model import (
    COL_RETENTION,
    COL_TEXT,
    PERIODS,
    ROLE_MEMORY,
    STATES,
    MemoryFilterProxy,
    MemoryRow,
    MemoryTableModel,
    RetentionDelegate,
)
from ui.browser.timeline_chart import TimelineChart
from ui.errors import confirm_forget, show_error
from ui.tasks import TaskRunner

PAGE = 500  # memories listed at a time; more load as the table is scrolled to its end


class MemoryBrowser(QWidget):
    """A top-level window; every store call goes through the TaskRunner."""

    loaded = Signal(int)  # rows listed
    recalled = Signal(int)  # recall search results shown
    detail_shown = Signal(str)  # memory id
    action_done = Signal(str)  # "pinned", "unpinned", "restored", "edited", "forgotten"
    entity_filtered = Signal(int)  # memories shown for one person, place or thing

    def __init__(
        self,
        curation: MemoryCuration,
        privacy: PrivacyService,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        people: PeopleService | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.curation = curation
        self.privacy = privacy
        self.people = people or PeopleService(curation.store, privacy)
        self.tasks = tasks
        self.setWindowTitle("Memories")
        self.resize(1100, 780)
        self.model = MemoryTableModel(self)
        self.model.more_wanted.connect(self._load_more)
        self.proxy = MemoryFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self._build()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Esc closes it, as it closes a dialog (the table and the boxes leave Esc unused)."""
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def _build(self) -> None:
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Filter by text; Enter: recall search")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(lambda t: self.proxy.set_filters(text=t, recalled=None))
        self.search_box.returnPressed.connect(self.recall_search)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("All kinds", "")
        for kind in Kind:
            self.kind_combo.addItem(kind.value.replace("_", " "), kind.value)
        self.kind_combo.currentIndexChanged.connect(
            lambda _: self.proxy.set_filters(kind=self.kind_combo.currentData())
        )
        self.state_combo = QComboBox()
        for state in STATES:
            self.state_combo.addItem(state if state != "any" else "Any state", state)
        self.state_combo.currentIndexChanged.connect(
            lambda _: self.proxy.set_filters(state=self.state_combo.currentData())
        )
        self.space_combo = QComboBox()
        self.space_combo.setObjectName("spaceFilter")
        self.space_combo.addItem("All spaces", "")
        self.space_combo.currentIndexChanged.connect(
            lambda _: self.proxy.set_filters(space=self.space_combo.currentData())
        )
        self.period_combo = QComboBox()
        for label, days in PERIODS:
            self.period_combo.addItem(label, days)
        self.period_combo.currentIndexChanged.connect(self._on_period)
        self.entity_box = QLineEdit()
        self.entity_box.setObjectName("entityFilter")
        self.entity_box.setPlaceholderText("About… (a person, place, thing)")
        self.entity_box.setClearButtonEnabled(True)
        self.entity_box.returnPressed.connect(lambda: self.filter_by_entity(self.entity_box.text()))
        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.entity_box)
        top.addWidget(self.kind_combo)
        top.addWidget(self.state_combo)
        top.addWidget(self.space_combo)
        top.addWidget(self.period_combo)

        self.table = QTableView()
        self.table.setObjectName("memoryTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setItemDelegateForColumn(COL_RETENTION, RetentionDelegate(self.table))
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for col in range(self.model.columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(70)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.doubleClicked.connect(lambda _: self.edit_selected())

        self.detail = QTextBrowser()
        self.detail.setObjectName("memoryDetail")
        self.chart = ForgettingChart()
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.detail)
        bottom.addWidget(self.chart)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        self.timeline = TimelineChart()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.timeline)
        splitter.addWidget(self.table)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)

        self.pin_button = QPushButton("Pin")
        self.pin_button.clicked.connect(self.toggle_pin_selected)
        self.restore_button = QPushButton("Restore")
        self.restore_button.clicked.connect(self.restore_selected)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(self.edit_selected)
        self.forget_button = QPushButton("Forget…")
        self.forget_button.clicked.connect(self.confirm_and_forget)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        self.status = QLabel("")
        actions = QHBoxLayout()
        for button in (self.pin_button, self.restore_button, self.edit_button, self.forget_button):
            actions.addWidget(button)
        actions.addWidget(self.status, 1)
        actions.addWidget(refresh)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(actions)
        self._update_buttons()

    def _on_period(self, _: int) -> None:
        days = self.period_combo.currentData()
        if days is None:
            self.proxy.set_filters(since=None)
            return
        now = self.curation.clock.now().astimezone()
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.proxy.set_filters(since=start - timedelta(days=days - 1))

    # --- loading and searching ------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        """Reload the list; `select` picks (and scrolls to) one memory once it is listed."""
        self._pending_select = select
        self.tasks.run(lambda: self._page(0), self._show_rows, self._error)

    def _page(self, offset: int) -> tuple[list[MemoryRow], int]:
        """One page of rows (store executor), and how many memories there are in all."""
        service = self.curation
        memories = service.memories(limit=PAGE, offset=offset)
        ready = service.host.ready
        rows = [MemoryRow(m, service.retention(m) if ready else None) for m in memories]
        return rows, service.count_memories()

    def _load_more(self, offset: int) -> None:
        def shown(page: tuple[list[MemoryRow], int]) -> None:
            rows, total = page
            self.model.append_rows(rows, len(rows) == PAGE)
            self._offer_spaces({r.memory.space for r in rows})
            self.timeline.show_rows(self.model.rows)
            self._say_count(total)

        self.tasks.run(lambda: self._page(offset), shown, self._error)

    def _say_count(self, total: int) -> None:
        listed = len(self.model.rows)
        more = f" (the newest {listed} listed; scroll for more)" if listed < total else ""
        self.status.setText(f"{total} memories{more}.")

    def _offer_spaces(self, spaces: set[str]) -> None:
        have = {self.space_combo.itemData(i) for i in range(self.space_combo.count())}
        for space in sorted(spaces - have):
            self.space_combo.addItem(space, space)

    def _show_rows(self, page: tuple[list[MemoryRow], int]) -> None:
        rows, total = page
        selected = set(self.selected_ids())
        pending = getattr(self, "_pending_select", None)
        if pending is not None:
            selected = {pending}
            self._pending_select = None
        self.model.set_rows(rows, len(rows) == PAGE)
        self._offer_spaces({r.memory.space for r in rows})
        self.timeline.show_rows(rows)
        self.detail.clear()
        self._reselect(selected)
        self._say_count(total)
        self._update_buttons()
        self.loaded.emit(len(rows))

    def recall_search(self) -> None:
        query = self.search_box.text().strip()
        if not query:
            return
        service = self.curation

        def done(found: Any) -> None:
            ids = {r.memory.id for r in found}
            self.proxy.set_filters(recalled=ids)
            self.status.setText(f"Recall: {len(ids)} memories for “{query}”.")
            self.recalled.emit(len(ids))

        self.tasks.run(lambda: service.search(query, 20), done, self._error)

    def filter_by_entity(self, name: str) -> None:
        """List only the memories naming `name` (any of its names), in the order they
        happened; Refresh lists everything again."""
        name = name.strip()
        if not name:
            self.refresh()
            return
        self.entity_box.setText(name)
        people, service = self.people, self.curation

        def load() -> tuple[Timeline, list[MemoryRow]]:
            timeline = people.timeline(name, limit=PAGE)
            ready = service.host.ready
            rows = [
                MemoryRow(m, service.retention(m) if ready else None) for m in timeline.memories
            ]
            return timeline, rows

        def shown(result: tuple[Timeline, list[MemoryRow]]) -> None:
            timeline, rows = result
            self.model.set_rows(rows, False)
            self.proxy.set_filters(recalled=None)
            self.timeline.show_rows(rows)
            self.detail.clear()
            self.status.setText(f"{len(rows)} memories about {timeline.entity.name}.")
            self.entity_filtered.emit(len(rows))

        def failed(error: BaseException) -> None:
            if isinstance(error, EntityError):  # an unknown name: one line, the list unchanged
                self.status.setText(str(error))
                return
            self._error(error)

        self.tasks.run(load, shown, failed)

    def visible_texts(self) -> list[str]:
        return [
            self.proxy.index(r, 0).data(ROLE_MEMORY).memory.text
            for r in range(self.proxy.rowCount())
        ]

    # --- selection and detail -------------------------------------------------------------

    def selected_rows(self) -> list[MemoryRow]:
        rows = self.table.selectionModel().selectedRows()
        return [index.data(ROLE_MEMORY) for index in sorted(rows, key=QModelIndex.row)]

    def selected_ids(self) -> list[str]:
        return [row.memory.id for row in self.selected_rows()]

    def select_ids(self, ids: list[str]) -> None:
        self.table.clearSelection()
        self._reselect(set(ids))

    def _reselect(self, ids: set[str]) -> None:
        flags = (
            self.table.selectionModel().SelectionFlag.Select
            | self.table.selectionModel().SelectionFlag.Rows
        )
        for r in range(self.proxy.rowCount()):
            index = self.proxy.index(r, 0)
            if index.data(ROLE_MEMORY).memory.id in ids:
                self.table.selectionModel().select(index, flags)
                self.table.scrollTo(index)

    def _on_selection(self, *_: Any) -> None:
        self._update_buttons()
        rows = self.selected_rows()
        if len(rows) != 1:
            self.detail.setPlainText(f"{len(rows)} memories selected." if rows else "")
            return
        row = rows[0]
        service = self.curation
        memory_id = row.memory.id
        self.tasks.run(
            lambda: (
                service.links(memory_id),
                service.used_by(memory_id),
                service.forgetting_curve(memory_id),
            ),
            lambda result: self._show_detail(row, *result),
            self._error,
        )

    def _show_detail(
        self,
        row: MemoryRow,
        links: list[Link],
        used_by: list[int],
        curve: tuple[list[tuple[datetime, float]], list[datetime]],
    ) -> None:
        if self.selected_ids() != [row.memory.id]:
            return  # the selection moved on meanwhile
        self.chart.show_curve(*curve)
        m = row.memory
        retention = "—" if row.retention is None else f"{row.retention:.0%}"
        lines = [
            m.text,
            "",
            f"Kind: {m.kind}    State: {m.state}{'    Pinned' if m.pinned else ''}"
            f"{'    Edited (locked)' if m.locked else ''}",
            f"Strength: {m.strength:.2f} days (how long it holds)    Retention: {retention}    "
            f"Recalled: {m.recall_count}×",
            f"Happened: {m.event_time.astimezone():%Y-%m-%d %H:%M}    "
            f"Stored: {m.created_at.astimezone():%Y-%m-%d %H:%M}",
        ]
        if m.conversation_id is not None:
            sources = ", ".join(map(str, m.source_message_ids))
            lines.append(
                f"From conversation {m.conversation_id}"
                + (f", messages {sources}" if sources else "")
            )
        if m.superseded_by:
            lines.append(f"Superseded by {m.superseded_by[:8]}")
        for link in links:
            if link.memory_id == m.id:
                lines.append(f"{link.relation}: {link.source_id[:8]}")
            else:
                lines.append(f"{link.memory_id[:8]} {link.relation} this")
        if used_by:
            noun = "reply" if len(used_by) == 1 else "replies"
            ids = ", ".join(map(str, used_by))
            lines.append(f"Used by {len(used_by)} {noun} (message {ids})")
        else:
            lines.append("Not used by a reply yet.")
        self.detail.setPlainText("\n".join(lines))
        self.detail_shown.emit(m.id)

    def _update_buttons(self) -> None:
        rows = self.selected_rows()
        self.pin_button.setEnabled(bool(rows))
        self.pin_button.setText("Unpin" if rows and all(r.memory.pinned for r in rows) else "Pin")
        self.restore_button.setEnabled(any(r.memory.state == State.FADED for r in rows))
        self.edit_button.setEnabled(len(rows) == 1)
        self.forget_button.setEnabled(bool(rows))

    # --- actions --------------------------------------------------------------------------

    def _act(self, work: Callable[[], Any], done: str) -> None:
        def finished(_: Any) -> None:
            self.status.setText(f"Done: {done}.")
            self.action_done.emit(done)
            self.refresh()

        self.tasks.run(work, finished, self._error)

    def toggle_pin_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        pin = not all(r.memory.pinned for r in rows)
        ids = [r.memory.id for r in rows]
        service = self.curation
        done = "pinned" if pin else "unpinned"
        self._act(lambda: [service.set_pinned(i, pin) for i in ids], done)

    def restore_selected(self) -> None:
        ids = [r.memory.id for r in self.selected_rows() if r.memory.state == State.FADED]
        service = self.curation
        if ids:
            self._act(lambda: [service.restore(i) for i in ids], "restored")

    def edit_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        text, ok = QInputDialog.getMultiLineText(
            self, "Edit memory", "Text (saving re-embeds it):", rows[0].memory.text
        )
        if ok and text.strip() and text.strip() != rows[0].memory.text:
            self.edit(rows[0].memory.id, text)

    def edit(self, memory_id: str, text: str) -> None:
        service = self.curation
        self._act(lambda: service.edit_memory(memory_id, text), "edited")

    def confirm_and_forget(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        if confirm_forget(self, len(ids)):
            privacy = self.privacy
            self._act(lambda: privacy.forget(ids), "forgotten")

    def _error(self, error: BaseException) -> None:
        show_error(self, error)

"""People & things: the entities memory names, each with its timeline; rename, alias, merge,
and forget everything about one (through the forget-about path)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.services.people import PeopleService, Timeline
from memory.errors import EntityError
from memory.graph.extract import KINDS
from memory.graph.store import Entity
from ui.errors import confirm_forget, show_error
from ui.tasks import TaskRunner

ROLE_ENTITY = Qt.ItemDataRole.UserRole + 1


class PeopleView(QWidget):
    """A top-level window; every store call goes through the TaskRunner."""

    loaded = Signal(int)  # entities listed
    timeline_shown = Signal(int)  # memories on the timeline shown
    action_done = Signal(str)  # "renamed", "aliased", "merged", "forgotten"
    refused = Signal(str)  # bad input: the one line shown, nothing changed
    filter_requested = Signal(str)  # an entity's name: show its memories in the browser

    def __init__(
        self, people: PeopleService, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.people = people
        self.tasks = tasks
        self.setWindowTitle("People & things")
        self.resize(900, 620)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("Everything", "")
        for kind in KINDS:
            self.kind_combo.addItem(kind, kind)
        self.kind_combo.currentIndexChanged.connect(lambda _: self.refresh())
        self.list = QListWidget()
        self.list.setObjectName("entityList")
        self.list.currentItemChanged.connect(self._on_current)
        self.timeline = QTextBrowser()
        self.timeline.setObjectName("entityTimeline")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.list)
        split.addWidget(self.timeline)
        split.setStretchFactor(1, 2)
        self.status = QLabel("")
        self.status.setObjectName("peopleStatus")
        buttons = QHBoxLayout()
        for text, slot in (
            ("Rename…", self._ask_rename),
            ("Add alias…", self._ask_alias),
            ("Merge into…", self._ask_merge),
            ("Show memories", self._show_memories),
            ("Forget everything about it…", self._ask_forget),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.kind_combo)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

    # --- loading --------------------------------------------------------------------------

    def refresh(self, select: int | None = None) -> None:
        kind = self.kind_combo.currentData() or None
        people = self.people
        self.tasks.run(lambda: people.entities(kind), lambda e: self._show(e, select), self._error)

    def _show(self, entities: list[Entity], select: int | None) -> None:
        self.list.clear()
        for entity in entities:
            item = QListWidgetItem(f"{entity.name}  ({entity.kind}, {entity.memories})")
            item.setData(ROLE_ENTITY, entity)
            self.list.addItem(item)
            if entity.id == select:
                self.list.setCurrentItem(item)
        self.loaded.emit(len(entities))

    def entities(self) -> list[Entity]:
        return [self.list.item(i).data(ROLE_ENTITY) for i in range(self.list.count())]

    def select(self, entity_id: int) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(ROLE_ENTITY).id == entity_id:
                self.list.setCurrentRow(i)

    def current(self) -> Entity | None:
        item = self.list.currentItem()
        entity: Entity | None = item.data(ROLE_ENTITY) if item is not None else None
        return entity

    def _on_current(self, item: QListWidgetItem | None, _: Any = None) -> None:
        if item is None:
            self.timeline.clear()
            return
        entity: Entity = item.data(ROLE_ENTITY)
        people = self.people
        self.tasks.run(lambda: people.timeline(entity.id), self._show_timeline, self._error)

    def _show_timeline(self, timeline: Timeline) -> None:
        current = self.current()
        if current is None or current.id != timeline.entity.id:
            return  # the selection moved on meanwhile
        self.timeline.setHtml(timeline_html(timeline, self._muted()))
        self.timeline_shown.emit(len(timeline.memories))

    def _muted(self) -> str:
        return self.palette().color(QPalette.ColorRole.PlaceholderText).name()

    # --- actions (callable directly; the buttons ask first) --------------------------------

    def rename(self, entity_id: int, name: str) -> None:
        people = self.people
        self._act(lambda: people.rename(entity_id, name), "renamed")

    def add_alias(self, entity_id: int, alias: str) -> None:
        people = self.people
        self._act(lambda: people.add_alias(entity_id, alias), "aliased")

    def merge(self, entity_id: int, into: str) -> None:
        people = self.people
        self._act(lambda: people.merge(entity_id, into), "merged")

    def forget_about(self, entity_id: int) -> None:
        people = self.people
        self._act(lambda: people.forget_about(entity_id), "forgotten")

    def _act(self, work: Callable[[], Any], done: str) -> None:
        def finished(result: Any) -> None:
            self.status.setText(f"Done: {done}.")
            self.action_done.emit(done)
            self.refresh(select=result.id if isinstance(result, Entity) else None)

        self.tasks.run(work, finished, self._error)

    def _ask_rename(self) -> None:
        entity = self.current()
        if entity is not None:
            name, ok = QInputDialog.getText(self, "Rename", "New name:", text=entity.name)
            if ok:
                self.rename(entity.id, name)

    def _ask_alias(self) -> None:
        entity = self.current()
        if entity is not None:
            alias, ok = QInputDialog.getText(self, "Add alias", f"Another name for {entity.name}:")
            if ok:
                self.add_alias(entity.id, alias)

    def _ask_merge(self) -> None:
        entity = self.current()
        if entity is not None:
            into, ok = QInputDialog.getText(
                self, "Merge", f"Merge {entity.name} into (name of the other entity):"
            )
            if ok:
                self.merge(entity.id, into)

    def _show_memories(self) -> None:
        entity = self.current()
        if entity is not None:
            self.filter_requested.emit(entity.name)

    def _ask_forget(self) -> None:
        entity = self.current()
        if entity is not None and confirm_forget(self, entity.memories):
            self.forget_about(entity.id)

    def _error(self, error: BaseException) -> None:
        if isinstance(error, EntityError):  # bad input: one line here, not a dialog
            self.status.setText(str(error))
            self.refused.emit(str(error))
            return
        show_error(self, error)


def timeline_html(timeline: Timeline, muted: str) -> str:
    """The entity's name and aliases, then its memories by month, oldest first."""
    e = timeline.entity
    parts = [f"<h3>{escape(e.name)} <span style='color:{muted}'>({escape(e.kind)})</span></h3>"]
    if e.aliases:
        parts.append(f"<p style='color:{muted}'>Also: {escape(', '.join(e.aliases))}</p>")
    month = ""
    for m in timeline.memories:
        when = m.event_time.astimezone()
        if f"{when:%B %Y}" != month:
            month = f"{when:%B %Y}"
            parts.append(f"<p><b>{month}</b></p>")
        parts.append(
            f"<p style='margin-left:12px'><span style='color:{muted}'>{when.day} "
            f"{when:%b} · {escape(str(m.kind))}</span>&nbsp;&nbsp;{escape(m.text)}</p>"
        )
    return "".join(parts)

"""Persona and summaries: read, edit and lock what membank has distilled about the user.

An edit saves new text and locks the entry; a locked entry is left alone by consolidation
(unlock it to let the next run rewrite it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.curation import MemoryCuration
from app.services.events import Day, Overview
from memory.records import Memory
from ui.errors import show_error
from ui.tasks import TaskRunner

ROLE_MEMORY = Qt.ItemDataRole.UserRole
NOTHING_YET = (
    "Nothing yet: it appears after consolidation. Chat a little (say who you are, where you "
    "live, what you like), then Memory → Consolidate now (Ctrl+Shift+K), or wait for the "
    "daily run."
)
HOW_TO = (
    "How membank builds your persona\n\n"
    "1. Chat with it, or remember notes (Ctrl+Shift+M): say who you are, where you live, who "
    "matters to you, what you like.\n"
    "2. Consolidate: Memory → Consolidate now (Ctrl+Shift+K), or let the daily run do it "
    "(Settings → Schedule).\n"
    "3. Facts, daily summaries, insights and your persona then appear here. Edit any entry to "
    "correct it; an edited entry is locked, and consolidation leaves it alone."
)


def overview_markdown(overview: Overview, days: list[Day]) -> str:
    """Everything in one readable page (the dialog's "All" entry)."""

    def text(memory: object) -> str:
        return getattr(memory, "text", None) or f"_{NOTHING_YET}_"

    parts = [
        "## Persona",
        text(overview.persona),
        "## Overall summary",
        text(overview.summary),
        "## Insights",
        "\n".join(f"- {m.text}" for m in overview.reflections) or "_None yet._",
        "## Facts",
        "\n".join(f"- {m.text} ({m.event_time.astimezone():%d %b %Y})" for m in overview.facts)
        or "_None yet._",
        "## Days",
    ]
    for day in days:
        parts.append(f"**{day.day}** — {text(day.summary)}")
        if day.persona:
            parts.append(f"_Persona that day:_ {day.persona.text}")
    return "\n\n".join(parts)


class PersonaDialog(QDialog):
    saved = Signal(object)  # Memory after an edit
    lock_changed = Signal(object)  # Memory after lock/unlock
    loaded = Signal()

    def __init__(
        self, curation: MemoryCuration, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.curation = curation
        self.tasks = tasks
        self.setWindowTitle("Persona and summaries")
        self.resize(900, 620)
        self.current: Memory | None = None
        self._build()
        self.reload()

    def _build(self) -> None:
        self.tree = QTreeWidget()
        self.tree.setObjectName("personaTree")
        self.tree.setHeaderHidden(True)
        self.tree.currentItemChanged.connect(self._on_current)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("personaEditor")
        self.editor.setReadOnly(True)
        self.editor.textChanged.connect(self._update_buttons)
        self.save_button = QPushButton("Save edit")
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        self.save_button.setToolTip("Save the text (Ctrl+S); the entry is then locked.")
        self.save_button.clicked.connect(self.save)
        self.lock_button = QPushButton("Lock")
        self.lock_button.clicked.connect(self.toggle_lock)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.title)
        rl.addWidget(self.editor, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.lock_button)
        row.addWidget(self.save_button)
        rl.addLayout(row)
        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(right)
        splitter.setSizes([300, 600])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self._update_buttons()

    # --- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        service = self.curation
        self.tasks.run(lambda: (service.overview(), service.days()), self._fill, self._error)

    def _fill(self, result: tuple[Overview, list[Day]]) -> None:
        overview, days = result
        keep = self.current.id if self.current else None
        self.tree.blockSignals(True)
        self.tree.clear()
        self.overview_text = overview_markdown(overview, days)
        self.has_content = bool(
            overview.persona or overview.summary or overview.facts or overview.reflections or days
        )
        everything = QTreeWidgetItem(self.tree, ["Everything (read)"])
        self._entry(self.tree, "Persona", overview.persona)
        self._entry(self.tree, "Overall summary", overview.summary)
        insights = QTreeWidgetItem(self.tree, [f"Insights ({len(overview.reflections)})"])
        for m in overview.reflections:
            self._entry(insights, m.text, m)
        # Facts by the month they were said, newest first: a year of statements stays readable.
        facts = QTreeWidgetItem(self.tree, [f"Facts ({len(overview.facts)})"])
        by_month: dict[str, list[Memory]] = {}
        for m in sorted(overview.facts, key=lambda m: m.event_time, reverse=True):
            by_month.setdefault(f"{m.event_time.astimezone():%B %Y}", []).append(m)
        for month, memories in by_month.items():
            node = QTreeWidgetItem(facts, [f"{month} ({len(memories)})"])
            for m in memories:
                self._entry(node, m.text, m)
        days_group = QTreeWidgetItem(self.tree, [f"Days ({len(days)})"])
        for day in days:
            node = QTreeWidgetItem(days_group, [day.day])
            self._entry(node, "Summary", day.summary)
            self._entry(node, "Persona that day", day.persona)
        self.tree.expandToDepth(0)
        if facts.childCount():
            facts.child(0).setExpanded(True)  # this month's
        self.tree.blockSignals(False)
        target = self._find(keep) if keep else None
        self.tree.setCurrentItem(target or everything)
        self._on_current(self.tree.currentItem())
        self.loaded.emit()

    def _entry(self, parent: Any, label: str, memory: Memory | None) -> QTreeWidgetItem:
        text = " ".join(label.split())
        if len(text) > 60:
            text = text[:59] + "…"
        if memory is not None and memory.locked:
            text = "🔒 " + text
        item = QTreeWidgetItem(parent, [text])
        item.setData(0, ROLE_MEMORY, memory)
        if memory is None:
            item.setToolTip(0, NOTHING_YET)
        return item

    def _find(self, memory_id: str) -> QTreeWidgetItem | None:
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            memory = item.data(0, ROLE_MEMORY)
            if isinstance(memory, Memory) and memory.id == memory_id:
                return item
            stack.extend(item.child(i) for i in range(item.childCount()))
        return None

    def select(self, memory_id: str) -> bool:
        item = self._find(memory_id)
        if item is not None:
            self.tree.setCurrentItem(item)
        return item is not None

    # --- the selected entry ----------------------------------------------------------------

    def _on_current(self, item: QTreeWidgetItem | None, *_: Any) -> None:
        memory = item.data(0, ROLE_MEMORY) if item is not None else None
        self.current = memory if isinstance(memory, Memory) else None
        self.editor.blockSignals(True)
        if self.current is not None:
            m = self.current
            state = "locked: consolidation leaves it alone" if m.locked else "not locked"
            self.title.setText(
                f"<b>{m.kind.value.replace('_', ' ')}</b> · {m.event_time.astimezone():%d %b %Y}"
                f" · {state}"
            )
            self._show_provenance(m)
            self.editor.setReadOnly(False)
            self.editor.setPlainText(m.text)
        elif item is not None and item.text(0).startswith("Everything"):
            self.title.setText("<b>Everything membank has distilled</b> (select an entry to edit)")
            self.editor.setReadOnly(True)
            text = self.overview_text.replace("## ", "").replace("**", "").replace("_", "")
            self.editor.setPlainText(text if self.has_content else HOW_TO)
        else:
            self.title.setText(NOTHING_YET if item is not None and item.childCount() == 0 else "")
            self.editor.setReadOnly(True)
            self.editor.setPlainText("")
        self.editor.blockSignals(False)
        self._update_buttons()

    def _show_provenance(self, memory: Memory) -> None:
        """When the entry was last rebuilt and from how many memories, once the store says."""
        service = self.curation

        def shown(found: tuple[datetime, int]) -> None:
            rebuilt, sources = found
            if self.current is not None and self.current.id == memory.id:
                self.title.setText(
                    f"{self.title.text()} · rebuilt {rebuilt.astimezone():%d %b %Y %H:%M} from "
                    f"{sources} memor{'y' if sources == 1 else 'ies'} (Browse memories shows them)"
                )

        self.tasks.run(lambda: service.provenance(memory.id), shown, self._error)

    def _update_buttons(self) -> None:
        m = self.current
        self.lock_button.setEnabled(m is not None)
        self.lock_button.setText("Unlock" if m is not None and m.locked else "Lock")
        edited = m is not None and self.editor.toPlainText().strip() not in ("", m.text)
        self.save_button.setEnabled(edited)

    def save(self) -> None:
        m = self.current
        text = self.editor.toPlainText().strip()
        if m is None or not text or text == m.text:
            return
        service = self.curation
        self.tasks.run(lambda: service.edit_memory(m.id, text), self._after_save, self._error)

    def _after_save(self, memory: Memory) -> None:
        self.current = memory
        self.saved.emit(memory)
        self.reload()

    def toggle_lock(self) -> None:
        m = self.current
        if m is None:
            return
        service = self.curation
        locked = not m.locked
        self.tasks.run(lambda: service.set_locked(m.id, locked), self._after_lock, self._error)

    def _after_lock(self, memory: Memory) -> None:
        self.current = memory
        self.lock_changed.emit(memory)
        self.reload()

    def _error(self, error: BaseException) -> None:
        show_error(self, error)

"""Search every conversation's messages by keyword; open a hit in the main window."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.chat import ChatService
from memory.records import MessageHit
from ui.errors import show_error
from ui.tasks import TaskRunner

ROLE_HIT = Qt.ItemDataRole.UserRole


class SearchDialog(QDialog):
    open_requested = Signal(int, int)  # conversation id, message id
    searched = Signal(int)  # hits shown

    def __init__(self, chat: ChatService, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chat = chat
        self.tasks = tasks
        self.setWindowTitle("Search conversations")
        self.resize(620, 480)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Words to find in any conversation…")
        self.query.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setObjectName("searchResults")
        self.results.setWordWrap(True)
        self.status = QLabel("Type to search; Enter or double-click opens the conversation.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.search)
        self.query.textChanged.connect(lambda _: self._debounce.start())
        self.query.returnPressed.connect(self._open_current)
        self.results.itemActivated.connect(self._open)

    def search(self) -> None:
        text = self.query.text().strip()
        if not text:
            self.results.clear()
            return
        service = self.chat
        self.tasks.run(lambda: service.search_messages(text), self._show, self._error)

    def _show(self, hits: list[MessageHit]) -> None:
        self.results.clear()
        for hit in hits:
            who = "You" if hit.message.role == "user" else "membank"
            when = hit.message.created_at.astimezone()
            item = QListWidgetItem(
                f"{hit.conversation_title} · {who} · {when:%d %b %Y %H:%M}\n{hit.snippet}"
            )
            item.setData(ROLE_HIT, hit)
            self.results.addItem(item)
        if hits:
            self.results.setCurrentRow(0)
        noun = "message" if len(hits) == 1 else "messages"
        self.status.setText(f"{len(hits)} {noun} found." if hits else "Nothing found.")
        self.searched.emit(len(hits))

    def _open_current(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self._open(item)

    def _open(self, item: QListWidgetItem) -> None:
        hit: MessageHit = item.data(ROLE_HIT)
        self.open_requested.emit(hit.message.conversation_id, hit.message.id)

    def _error(self, error: BaseException) -> None:
        show_error(self, error)

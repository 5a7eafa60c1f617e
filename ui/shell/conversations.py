"""The conversations list: pick one to show it in the chat panel; new, rename, delete."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.chat import ChatService
from memory.records import PERSONAL, Conversation
from ui.chat.panel import ChatPanel
from ui.chat.space_picker import SpacePicker
from ui.errors import show_error
from ui.tasks import TaskRunner

ROLE_ID = 0x0100  # Qt.UserRole


class ConversationsPanel(QWidget):
    """Drives `panel`: selecting a conversation opens it there; nothing changes while a reply
    streams."""

    def __init__(
        self, chat: ChatService, panel: ChatPanel, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.chat = chat
        self.panel = panel
        self.tasks = tasks
        self.conversation_list = QListWidget()
        self.conversation_list.setObjectName("conversationList")
        self.conversation_list.currentItemChanged.connect(self._on_conversation_selected)
        new_button = QPushButton("New")
        new_button.clicked.connect(self.new_conversation)
        rename_button = QPushButton("Rename")
        rename_button.clicked.connect(self.rename_conversation)
        delete_button = QPushButton("Delete")
        delete_button.clicked.connect(self.delete_conversation)
        left_layout = QVBoxLayout(self)
        left_layout.addWidget(QLabel("<b>Conversations</b>"))
        left_layout.addWidget(self.conversation_list)
        self.space_picker = SpacePicker()
        left_layout.addWidget(self.space_picker)
        buttons = QHBoxLayout()
        for b in (new_button, rename_button, delete_button):
            buttons.addWidget(b)
        left_layout.addLayout(buttons)

    def refresh_conversations(self) -> None:
        def done(conversations: list[Conversation]) -> None:
            self.conversation_list.blockSignals(True)
            self.conversation_list.clear()
            for c in conversations:
                item = QListWidgetItem(c.title if c.space == PERSONAL else f"{c.title} · {c.space}")
                item.setData(ROLE_ID, c.id)
                item.setData(ROLE_ID + 1, c.space)
                item.setToolTip(f"{c.message_count} messages · {c.updated_at.astimezone():%c}")
                self.conversation_list.addItem(item)
                if c.id == self.panel.conversation_id:  # as it is when the list arrives
                    self.conversation_list.setCurrentItem(item)
            self.conversation_list.blockSignals(False)
            self.space_picker.offer(c.space for c in conversations)

        self.tasks.run(self.chat.conversations, done, self._show_error)

    def new_conversation(self) -> None:
        if not self.panel.new_conversation():
            return  # a reply is streaming
        self.conversation_list.clearSelection()
        self.conversation_list.setCurrentItem(None)

    def rename_conversation(self) -> None:
        item = self.conversation_list.currentItem()
        if item is None:
            return
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=item.text())
        if ok and title.strip():
            cid = int(item.data(ROLE_ID))
            self.tasks.run(
                lambda: self.chat.rename_conversation(cid, title),
                lambda _: self.refresh_conversations(),
                self._show_error,
            )

    def delete_conversation(self) -> None:
        item = self.conversation_list.currentItem()
        if item is None or self.panel.streaming is not None:
            return
        answer = QMessageBox.question(
            self,
            "Delete conversation",
            f"Delete “{item.text()}” and its messages? Memories made from it are kept.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        cid = int(item.data(ROLE_ID))
        self.tasks.run(
            lambda: self.chat.delete_conversation(cid),
            lambda _: (self.new_conversation(), self.refresh_conversations()),
            self._show_error,
        )

    def chat_space(self) -> str:
        """The space of the conversation shown, or of the next one."""
        current = self.conversation_list.currentItem()
        data = current.data(ROLE_ID + 1) if current is not None else None
        return str(data) if self.panel.conversation_id and data else self.space_picker.space()

    def select(self, conversation_id: int) -> None:
        """Select (and so open) a listed conversation, e.g. one a search found."""
        for row in range(self.conversation_list.count()):
            item = self.conversation_list.item(row)
            if int(item.data(ROLE_ID)) == conversation_id:
                self.conversation_list.setCurrentItem(item)  # loads its messages
                return

    def _on_conversation_selected(self, item: QListWidgetItem | None, _: Any = None) -> None:
        if item is None or self.panel.streaming is not None:
            return
        self.panel.open_conversation(int(item.data(ROLE_ID)))

    def _show_error(self, error: BaseException) -> None:
        show_error(self, error)

"""The conversations list: pick one to show it in the chat panel; new, rename, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.services.chat import ChatService
from memory.records import PERSONAL, Conversation
from ui.chat.panel import ChatPanel
from ui.chat.space_picker import SpacePicker
from ui.errors import show_error
from ui.tasks import TaskRunner
from ui.theme.palette import TYPE

AnyIndex = QModelIndex | QPersistentModelIndex

ROLE_ID = 0x0100  # Qt.UserRole
ROLE_TITLE = ROLE_ID + 2
ROLE_DATE = ROLE_ID + 3
EMPTY_TEXT = (
    "No conversations yet. Type a message on the right to start one; it is listed here "
    "under its first words. Ctrl+N starts another."
)


def short_date(when: datetime, now: datetime) -> str:
    """ "Today 14:02", "Yesterday 09:10", "Mon 1 Dec", or "1 Dec 2025"."""
    local = when.astimezone()
    days = (now.date() - local.date()).days
    if days == 0:
        return f"Today {local:%H:%M}"
    if days == 1:
        return f"Yesterday {local:%H:%M}"
    if 0 < days < 7:
        return f"{local:%a} {local.day} {local:%b}"
    return f"{local.day} {local:%b %Y}"


class TitleAndDate(QStyledItemDelegate):
    """Two lines per conversation: its title, elided to the pane's width, and when it was
    last used, smaller and muted."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:  # noqa: N802
        line = option.fontMetrics.height()
        return QSize(option.rect.width(), line * 2 + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        pal = opt.palette
        text = pal.highlightedText() if selected else pal.text()
        muted = text if selected else pal.placeholderText()
        rect = opt.rect.adjusted(8, 6, -8, -6)
        metrics = opt.fontMetrics
        painter.save()
        painter.setPen(text.color())
        elided = metrics.elidedText(title, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), elided)
        small = QFont(opt.font)
        small.setPointSizeF(opt.font.pointSizeF() * TYPE.small)
        painter.setFont(small)
        painter.setPen(muted.color())
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        painter.drawText(rect, flags, str(index.data(ROLE_DATE) or ""))
        painter.restore()


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
        self.conversation_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.conversation_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conversation_list.setUniformItemSizes(True)
        self.conversation_list.setItemDelegate(TitleAndDate(self.conversation_list))
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.conversation_list.currentItemChanged.connect(self._on_conversation_selected)
        new_button = QPushButton("New")
        new_button.clicked.connect(self.new_conversation)
        rename_button = QPushButton("Rename")
        rename_button.clicked.connect(self.rename_conversation)
        delete_button = QPushButton("Delete")
        delete_button.clicked.connect(self.delete_conversation)
        left_layout = QVBoxLayout(self)
        title = QLabel("Conversations")
        title.setObjectName("paneTitle")
        left_layout.addWidget(title)
        left_layout.addWidget(self.empty)
        left_layout.addWidget(self.conversation_list, 1)
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
            now = datetime.now().astimezone()
            for c in conversations:
                title = c.title if c.space == PERSONAL else f"{c.title} · {c.space}"
                item = QListWidgetItem(title)
                item.setData(ROLE_DATE, short_date(c.updated_at, now))
                item.setData(ROLE_ID, c.id)
                item.setData(ROLE_ID + 1, c.space)
                item.setData(ROLE_TITLE, c.title)
                item.setToolTip(
                    f"{c.title}\n{c.message_count} messages · {c.updated_at.astimezone():%c}"
                )
                self.conversation_list.addItem(item)
                if c.id == self.panel.conversation_id:  # as it is when the list arrives
                    self.conversation_list.setCurrentItem(item)
            self.conversation_list.blockSignals(False)
            self.empty.setVisible(not conversations)
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
        old = str(item.data(ROLE_TITLE))
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=old)
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
            f"Delete “{item.data(ROLE_TITLE)}” and its messages? Memories made from it are kept.",
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

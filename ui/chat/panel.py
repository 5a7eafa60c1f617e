"""The chat panel: the transcript, the message box, the streaming reply, the links inside replies
and the memories each reply used (a side widget the window places)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QEvent, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.chat import ChatService
from app.services.curation import MemoryCuration
from app.services.events import RecallEvent, ReplyEvent
from memory.clock import Clock
from memory.records import PERSONAL, Conversation, Memory, Message
from ui.chat import cards, transcript
from ui.chat.input import ChatInput
from ui.chat.transcript_view import EARLIER, PAGE, TranscriptView
from ui.chat.worker import ChatWorker
from ui.errors import show_error
from ui.tasks import TaskRunner
from ui.theme import apply as theme
from ui.theme import icons

ROLE_ID = 0x0100  # Qt.UserRole
MEMORY_EMPTY = (
    "The memories a reply used show here, with their dates. Double-click one to open it; "
    "click a ◆ chip under a reply for the same."
)


class ChatPanel(QWidget):
    """States: idle (`streaming is None`) or streaming a reply (`streaming` holds its text so
    far); Send works once the models are ready, Stop while a reply streams."""

    # To the worker thread; the last argument is the request's own cancel token (Stop sets it).
    send_requested = Signal(int, str, str, object)  # id, text, space, cancel
    send_paused_requested = Signal(object, str, str, object)  # history, text, space, cancel
    regenerate_requested = Signal(int, object)  # id, cancel
    token_shown = Signal(str)  # GUI-thread echoes of the worker's signals
    reply_shown = Signal(object)  # ReplyEvent, once the reply is on screen
    memory_remembered = Signal(object)  # Memory, once "Remember this" has stored it
    status_changed = Signal(str)  # for the window's status bar
    memory_open_requested = Signal(str)  # a memory id (chip or used-memories list)
    conversations_changed = Signal()  # a reply was stored: the list is out of date
    conversation_shown = Signal(int)  # a stored conversation's cards are on screen

    def __init__(
        self,
        chat: ChatService,
        curation: MemoryCuration,
        clock: Clock,
        tasks: TaskRunner,
        worker: ChatWorker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.chat = chat
        self.curation = curation
        self.clock = clock
        self.tasks = tasks
        self.worker = worker
        self.paused = False
        self.space_for_send: Callable[[], str] = lambda: PERSONAL  # the window sets the real one
        self.conversation_id = 0  # 0: a new conversation starts with the next message
        self.messages: list[Message] = []
        self.streaming: str | None = None
        self.request_cancel: threading.Event | None = None  # the streaming request's Stop
        self.models_ready = False
        self._build()
        self._render_timer = QTimer(self, singleShot=True, interval=40)
        self._render_timer.timeout.connect(self._render_streaming)
        self._connect_worker()

    def _build(self) -> None:
        self.transcript = TranscriptView()
        self.transcript.anchorClicked.connect(self._on_link)
        self.input = ChatInput()
        self.input.submitted.connect(self.send)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip("Send (Enter; Shift+Enter for a new line)")
        self.send_button.setEnabled(False)
        self.send_button.clicked.connect(lambda: self.send(self.input.toPlainText()))
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the reply (Esc)")
        self.stop_button.setEnabled(False)
        self.stop_button.setShortcut(QKeySequence("Esc"))
        self.stop_button.clicked.connect(self.stop)
        center_layout = QVBoxLayout(self)
        center_layout.addWidget(self.transcript, 1)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        side = QVBoxLayout()
        side.addWidget(self.send_button)
        side.addWidget(self.stop_button)
        row.addLayout(side)
        center_layout.addLayout(row)

        self.memory_title = QLabel("Memories used")
        self.memory_title.setObjectName("paneTitle")
        self.memory_empty = QLabel(MEMORY_EMPTY)
        self.memory_empty.setObjectName("emptyState")
        self.memory_empty.setWordWrap(True)
        self.memory_panel = QListWidget()
        self.memory_panel.setObjectName("memoryPanel")
        self.memory_panel.setWordWrap(True)
        self.memory_panel.setToolTip("Double-click a memory to open it in the memory browser")
        self.memory_panel.itemActivated.connect(
            lambda item: self.memory_open_requested.emit(str(item.data(ROLE_ID)))
        )
        self.used_side = QWidget()  # the window places it (right of the splitter)
        right_layout = QVBoxLayout(self.used_side)
        right_layout.addWidget(self.memory_title)
        right_layout.addWidget(self.memory_empty)
        right_layout.addWidget(self.memory_panel, 1)
        self._icons()

    def _icons(self) -> None:
        p = theme.current()
        self.send_button.setIcon(icons.icon("send", p.accent_text))
        self.stop_button.setIcon(icons.icon("stop", p.text))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() in theme.PALETTE_EVENTS and hasattr(self, "transcript"):
            self._icons()
            self._render()  # cards and code in the new colours
        super().changeEvent(event)

    def _connect_worker(self) -> None:
        self.send_requested.connect(self.worker.send)
        self.send_paused_requested.connect(self.worker.send_paused)
        self.regenerate_requested.connect(self.worker.regenerate)
        self.worker.conversation_created.connect(self._on_conversation_created)
        self.worker.memories_recalled.connect(self._on_recalled)
        self.worker.token_received.connect(self._on_token)
        self.worker.reply_finished.connect(self._on_reply_finished)
        self.worker.reply_failed.connect(self._on_reply_failed)

    # --- which conversation ------------------------------------------------------------------

    def new_conversation(self) -> bool:
        """Empty the transcript for a new conversation (not while a reply streams)."""
        if self.streaming is not None:
            return False
        self.conversation_id = 0
        self.messages = []
        self.memory_panel.clear()
        self._render()
        self.input.setFocus()
        return True

    def open_conversation(self, cid: int) -> None:
        """Show a stored conversation (its messages load off the GUI thread)."""
        if self.streaming is not None:
            return
        self.conversation_id = cid
        self.tasks.run(lambda: self.chat.messages(cid), self._show_messages, self._show_error)

    def _show_messages(self, messages: list[Message]) -> None:
        self.messages = messages
        self.transcript.shown = PAGE  # another conversation: its last page first
        self._render()
        last = next((m for m in reversed(messages) if m.role == "assistant"), None)
        self._show_used(last.used_memories if last else ())
        self.conversation_shown.emit(self.conversation_id)

    # --- chat ------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        text = text.strip()
        if not text or not self.models_ready or self.streaming is not None:
            return
        self.input.clear()
        cancel = self._start_request()
        if self.paused:
            self.send_paused_requested.emit(
                list(self.messages), text, self.space_for_send(), cancel
            )
        else:
            self.send_requested.emit(self.conversation_id, text, self.space_for_send(), cancel)

    def _start_request(self) -> threading.Event:
        """A new request's own cancel token, made here on the GUI thread as the user acts: the
        worker never clears it, so a Stop pressed while the worker is busy is kept."""
        self.request_cancel = threading.Event()
        self.streaming = ""
        self.send_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status_changed.emit("Recalling memories…")
        return self.request_cancel

    def stop(self) -> None:
        if self.streaming is not None and self.request_cancel is not None:
            self.request_cancel.set()
            self.status_changed.emit("Stopping…")

    def _on_conversation_created(self, conversation: Conversation) -> None:
        self.conversation_id = conversation.id

    def _on_recalled(self, event: RecallEvent) -> None:
        if not self.messages or self.messages[-1].id != event.user_message.id:
            self.messages.append(event.user_message)  # (regenerate answers one already shown)
        self._show_used(tuple(r.memory for r in event.memories))
        self.status_changed.emit("Writing…")
        self._render()

    def _on_token(self, text: str) -> None:
        if self.streaming is None:
            return
        self.streaming += text
        if not self._render_timer.isActive():
            self._render_timer.start()  # at most 25 redraws a second, of the reply's card only
        self.token_shown.emit(text)

    def _on_reply_finished(self, event: ReplyEvent) -> None:
        self.streaming = None
        self.messages.append(event.message)
        self._render_timer.stop()
        self._render()
        self._show_used(event.message.used_memories)
        self.ready_for_input("Stopped." if event.stopped else "Ready")
        if not self.paused:
            self.conversations_changed.emit()
        self.reply_shown.emit(event)

    def _on_reply_failed(self, title: str, message: str) -> None:
        self.streaming = None
        self._render()
        self.ready_for_input("The reply failed.")
        show_error(self, (title, message))

    def ready_for_input(self, status: str) -> None:
        self.send_button.setEnabled(self.models_ready)
        self.stop_button.setEnabled(False)
        self.status_changed.emit(status)

    def _render(self) -> None:
        self.transcript.show_messages(self.messages, self.streaming, can_regenerate=not self.paused)

    def _render_streaming(self) -> None:
        if self.streaming is not None:
            self.transcript.show_streaming(self.streaming)

    def _on_link(self, url: QUrl) -> None:
        text = url.toString()
        if text.lower().startswith(cards.WEB_SCHEMES):
            QDesktopServices.openUrl(url)  # a link in a reply: the user's browser
            return
        if text == EARLIER:
            self.transcript.show_earlier()
            self._render()
            return
        if text.startswith(cards.COPY_CODE + ":"):
            _, message_id, n = text.split(":")
            code = self.transcript.code_block(int(message_id), int(n))
            if code is not None:
                QApplication.clipboard().setText(code)
                self.status_changed.emit("Code copied to the clipboard.")
            return
        if text.startswith(transcript.REPLY_LINK):
            reply_id = int(text[len(transcript.REPLY_LINK) :])
            for m in self.messages:
                if m.id == reply_id:
                    self._show_used(m.used_memories)
            return
        parsed = transcript.parse_action(text)
        if parsed is None:
            return
        action, ident = parsed
        if action == transcript.MEMORY:
            self.memory_open_requested.emit(ident)
            return
        message = next((m for m in self.messages if str(m.id) == ident), None)
        if message is None:
            return
        if action == transcript.COPY:
            QApplication.clipboard().setText(message.text)
            self.status_changed.emit("Copied to the clipboard.")
        elif action == transcript.REMEMBER:
            self.remember_message(message)
        elif action == transcript.REGENERATE:
            self.regenerate()

    def regenerate(self) -> None:
        """Answer the last message again; the last reply is replaced."""
        if (
            self.paused
            or not self.models_ready
            or self.streaming is not None
            or self.conversation_id <= 0
            or not self.messages
        ):
            return
        if self.messages[-1].role == "assistant":
            self.messages.pop()
        cancel = self._start_request()
        self._render()
        self.regenerate_requested.emit(self.conversation_id, cancel)

    def _show_used(self, memories: tuple[Memory, ...] | list[Memory]) -> None:
        self.memory_panel.clear()
        now = self.clock.now()
        for memory in memories:
            item = QListWidgetItem(transcript.memory_label(memory, now))
            item.setToolTip(
                f"{memory.kind} · strength {memory.strength:.1f} · id {memory.id[:8]}\n"
                "Double-click to open it in the memory browser."
            )
            item.setData(ROLE_ID, memory.id)
            self.memory_panel.addItem(item)
        self.memory_title.setText(f"Memories used ({len(memories)})")
        self.memory_empty.setVisible(not memories)

    # --- remembering -----------------------------------------------------------------------

    def remember_message(self, message: Message) -> None:
        """ "Remember this" on a message: stored as a note (in paused mode too: the user asked)."""
        if not self.models_ready:
            self.status_changed.emit("Memory is available once the models are loaded.")
            return
        curation = self.curation
        if message.id > 0:
            work = lambda: curation.remember_message(message.id)  # noqa: E731
        else:  # memory paused: the message itself is not stored, only this note
            work = lambda: curation.remember(message.text)  # noqa: E731
        self.tasks.run(
            work,
            lambda m: (
                self.status_changed.emit(f"Remembered: {m.text[:60]}"),
                self.memory_remembered.emit(m),
            ),
            self._show_error,
        )

    def remember_dialog(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, "Remember", "What should membank remember?")
        if ok and text.strip() and self.models_ready:
            self.tasks.run(
                lambda: self.curation.remember(text),
                lambda m: self.status_changed.emit(f"Remembered: {m.text[:60]}"),
                self._show_error,
            )

    def _show_error(self, error: BaseException) -> None:
        show_error(self, error)

"""The main window: conversations, the streaming chat, and the memories each reply used."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QThread, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.bootstrap import Runtime
from app.services.events import RecallEvent, ReplyEvent
from memory.records import Conversation, Memory, Message
from ui.browser.memory_browser import MemoryBrowser
from ui.chat import transcript
from ui.chat.input import ChatInput
from ui.chat.worker import ChatWorker
from ui.dialogs.archive_actions import ArchiveActions
from ui.dialogs.backup_dialog import BackupActions
from ui.dialogs.models_dialog import ModelsDialog
from ui.dialogs.persona_dialog import PersonaDialog
from ui.dialogs.privacy_dialogs import AuditDialog, ForgetAboutDialog
from ui.dialogs.quick_capture import QuickCaptureDialog
from ui.dialogs.search_dialog import SearchDialog
from ui.dialogs.settings_dialog import SettingsDialog
from ui.errors import show_error
from ui.shell.tray import TrayIcon, tray_available
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)
ROLE_ID = 0x0100  # Qt.UserRole


class MainWindow(QMainWindow):
    send_requested = Signal(int, str)  # to the worker thread
    send_paused_requested = Signal(object, str)
    regenerate_requested = Signal(int)
    settings_requested = Signal(object)  # Config, applied on the worker thread
    load_requested = Signal()
    token_shown = Signal(str)  # GUI-thread echoes of the worker's signals
    reply_shown = Signal(object)  # ReplyEvent, once the reply is on screen
    models_loaded = Signal()
    memory_remembered = Signal(object)  # Memory, once "Remember this" has stored it

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.setWindowTitle("membank")
        self.resize(1100, 720)
        self.tasks = TaskRunner(self)
        self.archive = ArchiveActions(self, runtime.archive, self.tasks)
        self.backups = BackupActions(self)
        self.paused = False
        self.tray: TrayIcon | None = None
        self.browser_window: MemoryBrowser | None = None
        self.models_dialog: ModelsDialog | None = None
        self.capture_dialog: QuickCaptureDialog | None = None
        self.search_dialog: SearchDialog | None = None
        self.persona_dialog: PersonaDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._quitting = False
        self.conversation_id = 0  # 0: a new conversation starts with the next message
        self.messages: list[Message] = []
        self.streaming: str | None = None
        self.models_ready = False
        self._build()
        self._build_menu()
        self._build_memory_menu()
        self._render_timer = QTimer(self, singleShot=True, interval=40)
        self._render_timer.timeout.connect(self._render)
        self._start_worker()
        self.refresh_conversations()

    # --- construction ----------------------------------------------------------------------

    def _build(self) -> None:
        self.conversation_list = QListWidget()
        self.conversation_list.setObjectName("conversationList")
        self.conversation_list.currentItemChanged.connect(self._on_conversation_selected)
        new_button = QPushButton("New")
        new_button.clicked.connect(self.new_conversation)
        rename_button = QPushButton("Rename")
        rename_button.clicked.connect(self.rename_conversation)
        delete_button = QPushButton("Delete")
        delete_button.clicked.connect(self.delete_conversation)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(QLabel("<b>Conversations</b>"))
        left_layout.addWidget(self.conversation_list)
        buttons = QHBoxLayout()
        for b in (new_button, rename_button, delete_button):
            buttons.addWidget(b)
        left_layout.addLayout(buttons)

        self.transcript = QTextBrowser()
        self.transcript.setObjectName("transcript")
        self.transcript.setOpenLinks(False)
        self.transcript.anchorClicked.connect(self._on_link)
        self.input = ChatInput()
        self.input.submitted.connect(self.send)
        self.send_button = QPushButton("Send")
        self.send_button.setEnabled(False)
        self.send_button.clicked.connect(lambda: self.send(self.input.toPlainText()))
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.setShortcut(QKeySequence("Esc"))
        self.stop_button.clicked.connect(self.stop)
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.addWidget(self.transcript, 1)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        side = QVBoxLayout()
        side.addWidget(self.send_button)
        side.addWidget(self.stop_button)
        row.addLayout(side)
        center_layout.addLayout(row)

        self.memory_title = QLabel("<b>Memories used</b>")
        self.memory_panel = QListWidget()
        self.memory_panel.setObjectName("memoryPanel")
        self.memory_panel.setWordWrap(True)
        self.memory_panel.itemActivated.connect(
            lambda item: self.show_memory_browser(select=str(item.data(ROLE_ID)))
        )
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.memory_title)
        right_layout.addWidget(self.memory_panel)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(center)
        splitter.addWidget(right)
        splitter.setSizes([220, 600, 280])
        self.setCentralWidget(splitter)
        self.status_label = QLabel("Starting…")
        self.statusBar().addWidget(self.status_label, 1)
        self.paused_label = QLabel("  Memory paused: nothing from this chat is stored  ")
        self.paused_label.setObjectName("pausedBadge")
        self.paused_label.setStyleSheet(
            "background: #b02a37; color: white; border-radius: 4px; font-weight: bold;"
        )
        self.paused_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.paused_label)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (
            ("&New conversation", QKeySequence.StandardKey.New, self.new_conversation),
            ("&Remember…", QKeySequence("Ctrl+Shift+M"), self.remember_dialog),
            ("&Quick capture…", QKeySequence("Ctrl+Shift+Space"), self.quick_capture),
            ("&Search conversations…", QKeySequence.StandardKey.Find, self.show_search),
            ("Re&generate last reply", QKeySequence("Ctrl+R"), self.regenerate),
            ("&Export memory…", QKeySequence("Ctrl+E"), lambda: self.archive.export()),
            ("&Import…", QKeySequence("Ctrl+I"), lambda: self.archive.import_()),
            ("Import a &folder of notes…", QKeySequence(), self.archive.import_notes_folder),
            ("Restore from &backup…", QKeySequence(), self.backups.open_dialog),
            ("&Models…", QKeySequence("Ctrl+Shift+L"), self.show_models),
            ("S&ettings…", QKeySequence("Ctrl+,"), self.show_settings),
            ("&Quit", QKeySequence.StandardKey.Quit, self.quit),
        ):
            action = QAction(text, self)
            action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)

    def set_paused(self, paused: bool) -> None:
        """Memory paused (incognito): chat goes on, nothing from it is stored."""
        if self.streaming is not None:
            self.pause_action.setChecked(self.paused)
            return
        self.paused = paused
        self.pause_action.setChecked(paused)
        self.new_conversation()
        self.conversation_list.setEnabled(not paused)
        self.paused_label.setVisible(paused)

    def _build_memory_menu(self) -> None:
        menu = self.menuBar().addMenu("&Memory")
        self.pause_action = QAction("&Pause memory (incognito)", self, checkable=True)
        self.pause_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.pause_action.toggled.connect(self.set_paused)
        menu.addAction(self.pause_action)
        for text, shortcut, slot in (
            ("&Browse memories…", QKeySequence("Ctrl+B"), lambda: self.show_memory_browser()),
            ("&Consolidate now", QKeySequence("Ctrl+Shift+K"), self.consolidate_now),
            ("&Persona and summaries…", QKeySequence("Ctrl+P"), self.show_persona),
            ("&Forget everything about…", QKeySequence("Ctrl+Shift+F"), self.show_forget_about),
            ("&Audit log…", QKeySequence("Ctrl+Shift+A"), self.show_audit),
        ):
            action = QAction(text, self)
            action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)

    def _start_worker(self) -> None:
        self.worker_thread = QThread(self)
        self.worker_thread.setObjectName("membank-llm")
        self.worker = ChatWorker(self.runtime)
        self.worker.moveToThread(self.worker_thread)
        self.send_requested.connect(self.worker.send)
        self.send_paused_requested.connect(self.worker.send_paused)
        self.regenerate_requested.connect(self.worker.regenerate)
        self.settings_requested.connect(self.worker.apply_settings)
        self.worker.settings_applied.connect(self._on_settings_applied)
        self.worker.settings_failed.connect(self._on_settings_failed)
        self.load_requested.connect(self.worker.load_models)
        self.worker.status_changed.connect(self._on_status)
        self.worker.models_ready.connect(self._on_models_ready)
        self.worker.models_failed.connect(self._on_models_failed)
        self.worker.conversation_created.connect(self._on_conversation_created)
        self.worker.memories_recalled.connect(self._on_recalled)
        self.worker.token_received.connect(self._on_token)
        self.worker.reply_finished.connect(self._on_reply_finished)
        self.worker.reply_failed.connect(self._on_reply_failed)
        self.worker_thread.start()
        self.load_requested.emit()

    # --- conversations ---------------------------------------------------------------------

    def refresh_conversations(self) -> None:
        def done(conversations: list[Conversation]) -> None:
            self.conversation_list.blockSignals(True)
            self.conversation_list.clear()
            for c in conversations:
                item = QListWidgetItem(c.title)
                item.setData(ROLE_ID, c.id)
                item.setToolTip(f"{c.message_count} messages · {c.updated_at.astimezone():%c}")
                self.conversation_list.addItem(item)
                if c.id == self.conversation_id:  # as it is when the list arrives
                    self.conversation_list.setCurrentItem(item)
            self.conversation_list.blockSignals(False)

        self.tasks.run(self.runtime.chat.conversations, done, self._show_error)

    def new_conversation(self) -> None:
        if self.streaming is not None:
            return
        self.conversation_id = 0
        self.messages = []
        self.conversation_list.clearSelection()
        self.conversation_list.setCurrentItem(None)
        self.memory_panel.clear()
        self._render()
        self.input.setFocus()

    def rename_conversation(self) -> None:
        item = self.conversation_list.currentItem()
        if item is None:
            return
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=item.text())
        if ok and title.strip():
            cid = int(item.data(ROLE_ID))
            self.tasks.run(
                lambda: self.runtime.chat.rename_conversation(cid, title),
                lambda _: self.refresh_conversations(),
                self._show_error,
            )

    def delete_conversation(self) -> None:
        item = self.conversation_list.currentItem()
        if item is None or self.streaming is not None:
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
            lambda: self.runtime.chat.delete_conversation(cid),
            lambda _: (self.new_conversation(), self.refresh_conversations()),
            self._show_error,
        )

    def _on_conversation_selected(self, item: QListWidgetItem | None, _: Any = None) -> None:
        if item is None or self.streaming is not None:
            return
        cid = int(item.data(ROLE_ID))
        self.conversation_id = cid
        self.tasks.run(
            lambda: self.runtime.chat.messages(cid), self._show_messages, self._show_error
        )

    def _show_messages(self, messages: list[Message]) -> None:
        self.messages = messages
        self._render()
        last = next((m for m in reversed(messages) if m.role == "assistant"), None)
        self._show_used(last.used_memories if last else ())

    # --- chat ------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        text = text.strip()
        if not text or not self.models_ready or self.streaming is not None:
            return
        self.input.clear()
        self.streaming = ""
        self.send_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status_label.setText("Recalling memories…")
        if self.paused:
            self.send_paused_requested.emit(list(self.messages), text)
        else:
            self.send_requested.emit(self.conversation_id, text)

    def stop(self) -> None:
        if self.streaming is not None:
            self.worker.cancel()
            self.status_label.setText("Stopping…")

    def _on_conversation_created(self, conversation: Conversation) -> None:
        self.conversation_id = conversation.id

    def _on_recalled(self, event: RecallEvent) -> None:
        if not self.messages or self.messages[-1].id != event.user_message.id:
            self.messages.append(event.user_message)  # (regenerate answers one already shown)
        self._show_used(tuple(r.memory for r in event.memories))
        self.status_label.setText("Writing…")
        self._render()

    def _on_token(self, text: str) -> None:
        if self.streaming is None:
            return
        self.streaming += text
        if not self._render_timer.isActive():
            self._render_timer.start()
        self.token_shown.emit(text)

    def _on_reply_finished(self, event: ReplyEvent) -> None:
        self.streaming = None
        self.messages.append(event.message)
        self._render_timer.stop()
        self._render()
        self._show_used(event.message.used_memories)
        self._ready_for_input("Stopped." if event.stopped else "Ready")
        if not self.paused:
            self.refresh_conversations()
        self.reply_shown.emit(event)

    def _on_reply_failed(self, title: str, message: str) -> None:
        self.streaming = None
        self._render()
        self._ready_for_input("The reply failed.")
        show_error(self, (title, message))

    def _ready_for_input(self, status: str) -> None:
        self.send_button.setEnabled(self.models_ready)
        self.stop_button.setEnabled(False)
        self.status_label.setText(status)

    def _render(self) -> None:
        self.transcript.setMarkdown(
            transcript.render(self.messages, self.streaming, can_regenerate=not self.paused)
        )
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_link(self, url: QUrl) -> None:
        text = url.toString()
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
            self.show_memory_browser(select=ident)
            return
        message = next((m for m in self.messages if str(m.id) == ident), None)
        if message is None:
            return
        if action == transcript.COPY:
            QApplication.clipboard().setText(message.text)
            self.status_label.setText("Copied to the clipboard.")
        elif action == transcript.REMEMBER:
            self.remember_message(message)
        elif action == transcript.REGENERATE:
            self.regenerate()

    def remember_message(self, message: Message) -> None:
        """ "Remember this" on a message: stored as a note (in paused mode too: the user asked)."""
        if not self.models_ready:
            self.status_label.setText("Memory is available once the models are loaded.")
            return
        curation = self.runtime.curation
        if message.id > 0:
            work = lambda: curation.remember_message(message.id)  # noqa: E731
        else:  # memory paused: the message itself is not stored, only this note
            work = lambda: curation.remember(message.text)  # noqa: E731
        self.tasks.run(
            work,
            lambda m: (
                self.status_label.setText(f"Remembered: {m.text[:60]}"),
                self.memory_remembered.emit(m),
            ),
            self._show_error,
        )

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
        self.streaming = ""
        self.send_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status_label.setText("Recalling memories…")
        self._render()
        self.regenerate_requested.emit(self.conversation_id)

    def _show_used(self, memories: tuple[Memory, ...] | list[Memory]) -> None:
        self.memory_panel.clear()
        now = self.runtime.clock.now()
        for memory in memories:
            item = QListWidgetItem(transcript.memory_label(memory, now))
            item.setToolTip(
                f"{memory.kind} · strength {memory.strength:.1f} · id {memory.id[:8]}\n"
                "Double-click to open it in the memory browser."
            )
            item.setData(ROLE_ID, memory.id)
            self.memory_panel.addItem(item)
        self.memory_title.setText(f"<b>Memories used</b> ({len(memories)})")

    # --- memories --------------------------------------------------------------------------

    def remember_dialog(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, "Remember", "What should membank remember?")
        if ok and text.strip() and self.models_ready:
            self.tasks.run(
                lambda: self.runtime.curation.remember(text),
                lambda m: self.status_label.setText(f"Remembered: {m.text[:60]}"),
                self._show_error,
            )

    def consolidate_now(self) -> None:
        """Summaries, facts and persona now, on the scheduler's thread (not the GUI's)."""
        scheduler = self.runtime.scheduler
        if scheduler is None or not scheduler.running:
            self.status_label.setText("Consolidation is available once the models are loaded.")
            return
        scheduler.run_now("daily")
        self.status_label.setText("Consolidating in the background…")

    def show_memory_browser(self, select: str | None = None) -> None:
        if self.browser_window is None:
            self.browser_window = MemoryBrowser(
                self.runtime.curation, self.runtime.privacy, self.tasks, self
            )
        self.browser_window.show()
        self.browser_window.raise_()
        self.browser_window.activateWindow()
        self.browser_window.refresh(select=select)

    def show_settings(self) -> None:
        from models.chat.llama_chat import gpu_offload_supported

        if self.settings_dialog is not None:
            self.settings_dialog.close()
        dialog = SettingsDialog(self.runtime, gpu_offload_supported(), self)
        dialog.apply_requested.connect(self.settings_requested)
        self.settings_dialog = dialog
        dialog.show()

    def _on_settings_applied(self, applied: Any) -> None:
        if applied.reloaded_model:
            self.status_label.setText(f"Ready · {applied.reloaded_model}")
        if self.settings_dialog is not None:
            self.settings_dialog.on_applied(applied)

    def _on_settings_failed(self, title: str, message: str) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.on_failed(title, message)
        else:
            show_error(self, (title, message))

    def show_search(self) -> None:
        if self.search_dialog is None:
            self.search_dialog = SearchDialog(self.runtime.chat, self.tasks, self)
            self.search_dialog.open_requested.connect(self.open_conversation)
        self.search_dialog.show()
        self.search_dialog.raise_()
        self.search_dialog.query.setFocus()
        self.search_dialog.query.selectAll()

    def open_conversation(self, conversation_id: int, _message_id: int = 0) -> None:
        """Show a conversation (from search); leaves memory-paused mode if it was on."""
        if self.streaming is not None:
            return
        if self.paused:
            self.pause_action.setChecked(False)
        for row in range(self.conversation_list.count()):
            item = self.conversation_list.item(row)
            if int(item.data(ROLE_ID)) == conversation_id:
                self.conversation_list.setCurrentItem(item)  # loads its messages
                return

    def show_models(self) -> None:
        if self.models_dialog is None:
            self.models_dialog = ModelsDialog(self.runtime, self.tasks, self.worker, self)
        self.models_dialog.show()
        self.models_dialog.raise_()
        self.models_dialog.refresh()

    def show_persona(self) -> None:
        if getattr(self, "persona_dialog", None) is None:
            self.persona_dialog = PersonaDialog(self.runtime.curation, self.tasks, self)
        else:
            self.persona_dialog.reload()
        self.persona_dialog.show()
        self.persona_dialog.raise_()

    def show_forget_about(self) -> None:
        self.forget_dialog = ForgetAboutDialog(
            self.runtime.curation, self.runtime.privacy, self.tasks, self
        )
        self.forget_dialog.open()

    def show_audit(self) -> None:
        privacy = self.runtime.privacy

        def opened(entries: Any) -> None:
            self.audit_dialog = AuditDialog(entries, self)
            self.audit_dialog.open()

        self.tasks.run(privacy.audit, opened, self._show_error)

    # --- tray, quick capture, hand-over from a second launch ---------------------------------

    def quick_capture(self) -> None:
        if self.capture_dialog is None:
            self.capture_dialog = QuickCaptureDialog(self.runtime.curation, self.tasks)
            self.capture_dialog.stored.connect(
                lambda m: self.status_label.setText(f"Remembered: {m.text[:60]}")
            )
        self.capture_dialog.show()

    def show_and_raise(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def handle_request(self, request: str) -> None:
        """A second `membank` (or `membank --capture`) asked this instance for something."""
        if request == "capture":
            self.quick_capture()
        else:
            self.show_and_raise()

    def install_tray(self) -> bool:
        """A tray icon where the desktop has a tray; without one everything works from here."""
        if not tray_available():
            return False
        self.tray = TrayIcon(
            self.windowIcon(),
            open_window=self.show_and_raise,
            capture=self.quick_capture,
            consolidate=self.consolidate_now,
            quit_app=self.quit,
            parent=self,
        )
        menu = self.tray.contextMenu()
        menu.insertAction(self.tray.actions_by_name["quit"], self.pause_action)  # shared, checkable
        self.tray.show()
        QApplication.setQuitOnLastWindowClosed(False)  # the tray keeps membank alive
        return True

    def quit(self) -> None:
        self._quitting = True
        self.close()
        if self.tray is not None:
            QApplication.quit()  # with a tray, closing windows alone does not end the app

    # --- status and lifecycle --------------------------------------------------------------

    def _on_status(self, text: str) -> None:
        self.status_label.setText(text)

    def _on_models_ready(self) -> None:
        self.models_ready = True
        llm = self.runtime.host.models.llm
        self._ready_for_input(f"Ready · {llm.model_id if llm else ''}")
        log.info("models loaded: %s", llm.model_id if llm else "no chat model")
        self.models_loaded.emit()

    def _on_models_failed(self, title: str, message: str) -> None:
        self.status_label.setText(f"{title}: see the message")
        show_error(self, (title, message))

    def _show_error(self, error: BaseException) -> None:
        show_error(self, error)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.tray is not None and self.runtime.config.ui.close_to_tray and not self._quitting:
            event.ignore()  # keep running in the tray: quick capture and jobs go on
            self.hide()
            self.tray.showMessage("membank", "Still running here. Quit from this menu.")
            return
        if self.tray is not None:
            self.tray.hide()
        if self.capture_dialog is not None:
            self.capture_dialog.close()
        if self.models_dialog is not None:
            self.models_dialog.shutdown()
        self.worker.cancel()
        self.worker_thread.quit()
        self.worker_thread.wait()
        self.tasks.shutdown()
        super().closeEvent(event)

"""The main window: composes the conversations list, the chat panel, the menus and the dialogs,
and owns what spans them: the chat worker's thread, memory pause, the tray, requests handed over
by a second launch, and shutdown."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSplitter

from app.bootstrap import Runtime, start_models
from app.engine.model_manager import ModelManager
from app.engine.settings_apply import apply_settings
from app.jobs.daily import JobResult
from ui.chat.panel import ChatPanel
from ui.chat.worker import ChatWorker
from ui.dialogs.archive_actions import ArchiveActions
from ui.dialogs.backup_dialog import BackupActions
from ui.dialogs.connected_apps import ConnectedAppsDialog
from ui.dialogs.registry import DialogRegistry
from ui.dialogs.shortcuts_dialog import ShortcutsDialog
from ui.errors import show_error
from ui.shell.conversations import ConversationsPanel
from ui.shell.mcp_bridge import McpBridge
from ui.shell.menus import MenuActions, build_menus
from ui.shell.shutdown import ShutdownBounds, abandon, stop_thread
from ui.shell.tray import TrayIcon, tray_available
from ui.tasks import TaskRunner
from ui.theme.apply import ThemeFollower

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    settings_requested = Signal(object)  # Config, applied on the worker thread
    load_requested = Signal()
    models_loaded = Signal()
    job_finished = Signal(object)  # JobResult of "Consolidate now", from the scheduler's thread

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.theme = ThemeFollower(app, runtime.config.ui.theme, self)
        self.setWindowTitle("membank")
        self.resize(1100, 720)
        self.tasks = TaskRunner(self)
        self.archive = ArchiveActions(self, runtime.archive, self.tasks)
        self.backups = BackupActions(self)
        self.tray: TrayIcon | None = None
        self._quitting = False
        self.job_finished.connect(self._on_job_finished)
        self.shutdown_bounds = ShutdownBounds()
        self.stopped_cleanly = True  # False once quitting left a thread running
        self.worker_thread = QThread(self)
        self.worker_thread.setObjectName("membank-llm")
        manager = ModelManager(runtime)
        self.worker = ChatWorker(
            runtime.chat,
            manager,
            start_up=partial(start_models, runtime),
            apply=partial(apply_settings, runtime),
        )
        self.worker.moveToThread(self.worker_thread)
        self.chat = ChatPanel(
            runtime.chat, runtime.curation, runtime.clock, self.tasks, self.worker
        )
        self.conversations = ConversationsPanel(runtime.chat, self.chat, self.tasks)
        self.dialogs = DialogRegistry(
            self,
            self.tasks,
            chat=runtime.chat,
            curation=runtime.curation,
            privacy=runtime.privacy,
            host=runtime.host,
            paths=runtime.paths,
            manager=manager,
            worker=self.worker,
        )
        self.chat.space_for_send = self.conversations.chat_space
        self.mcp_bridge = McpBridge(runtime, self.tasks, lambda: self.chat.paused, self)
        self._build()
        self.pause_action = build_menus(self, self._menu_actions())
        self._wire()
        self.worker_thread.start()
        self.load_requested.emit()
        self.refresh_conversations()

    # --- construction ----------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter()
        splitter.addWidget(self.conversations)
        splitter.addWidget(self.chat)
        splitter.addWidget(self.chat.used_side)
        splitter.setSizes([220, 600, 280])
        self.setCentralWidget(splitter)
        self.status_label = QLabel("Starting…")
        self.statusBar().addWidget(self.status_label, 1)
        self.paused_label = QLabel("  Memory paused: nothing from this chat is stored  ")
        self.paused_label.setObjectName("pausedBadge")  # styled by ui/theme
        self.paused_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.paused_label)

    def _menu_actions(self) -> MenuActions:
        dialogs, archive = self.dialogs, self.archive
        return MenuActions(
            new_conversation=self.conversations.new_conversation,
            remember=self.chat.remember_dialog,
            quick_capture=self.quick_capture,
            search=dialogs.show_search,
            regenerate=self.chat.regenerate,
            export=archive.export,
            import_=archive.import_,
            import_notes_folder=archive.import_notes_folder,
            restore_backup=self.backups.open_dialog,
            models=dialogs.show_models,
            settings=dialogs.show_settings,
            quit=self.quit,
            set_paused=self.set_paused,
            browse_memories=dialogs.show_memory_browser,
            people=dialogs.show_people,
            consolidate=self.consolidate_now,
            persona=dialogs.show_persona,
            forget_about=dialogs.show_forget_about,
            audit=dialogs.show_audit,
            connected_apps=self.show_connected_apps,
            shortcuts=self.show_shortcuts,
        )

    def _wire(self) -> None:
        self.chat.status_changed.connect(self.status_label.setText)
        self.chat.memory_open_requested.connect(self.dialogs.show_memory_browser)
        self.chat.conversations_changed.connect(self.refresh_conversations)
        self.dialogs.status_changed.connect(self.status_label.setText)
        self.dialogs.conversation_requested.connect(self.open_conversation)
        self.dialogs.settings_requested.connect(self.settings_requested)
        self.settings_requested.connect(self.worker.apply_settings)
        self.worker.settings_applied.connect(self._on_settings_applied)
        self.worker.settings_failed.connect(self.dialogs.on_settings_failed)
        self.load_requested.connect(self.worker.load_models)
        self.worker.status_changed.connect(self._on_status)
        self.worker.models_ready.connect(self._on_models_ready)
        self.worker.models_failed.connect(self._on_models_failed)

    # --- what spans the panels ---------------------------------------------------------------

    def refresh_conversations(self) -> None:
        self.conversations.refresh_conversations()

    def show_connected_apps(self) -> None:
        """Which MCP clients reached this memory, and what each may do (live while open)."""
        dialog = ConnectedAppsDialog(self.runtime, self.tasks, self)
        self.mcp_bridge.accessed.connect(dialog.refresh)
        dialog.finished.connect(lambda _: self.mcp_bridge.accessed.disconnect(dialog.refresh))
        self.connected_apps_dialog = dialog
        dialog.open()

    def show_shortcuts(self) -> None:
        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def set_paused(self, paused: bool) -> None:
        """Memory paused (incognito): chat goes on, nothing from it is stored."""
        if self.chat.streaming is not None:
            self.pause_action.setChecked(self.chat.paused)
            return
        self.chat.paused = paused
        self.pause_action.setChecked(paused)
        self.conversations.new_conversation()
        self.conversations.conversation_list.setEnabled(not paused)
        self.paused_label.setVisible(paused)

    def open_conversation(self, conversation_id: int, _message_id: int = 0) -> None:
        """Show a conversation (from search); leaves memory-paused mode if it was on."""
        if self.chat.streaming is not None:
            return
        if self.chat.paused:
            self.pause_action.setChecked(False)
        self.conversations.select(conversation_id)

    def consolidate_now(self) -> None:
        """Summaries, facts and persona now, on the scheduler's thread (not the GUI's)."""
        scheduler = self.runtime.scheduler
        if scheduler is None or not scheduler.running:
            self.status_label.setText("Consolidation is available once the models are loaded.")
            return
        scheduler.run_now("daily", on_done=self.job_finished.emit)
        self.status_label.setText("Consolidating in the background…")

    def _on_job_finished(self, result: JobResult) -> None:
        """The status bar says how the run ended, in place of "Consolidating…"."""
        self.status_label.setText(result.outcome())

    @property
    def models_ready(self) -> bool:
        return self.chat.models_ready

    # --- tray, quick capture, hand-over from a second launch ---------------------------------

    def quick_capture(self) -> None:
        self.dialogs.quick_capture()

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
        self.chat.models_ready = True
        llm = self.runtime.host.models.llm
        self.chat.ready_for_input(f"Ready · {llm.model_id if llm else ''}")
        log.info("models loaded: %s", llm.model_id if llm else "no chat model")
        self.models_loaded.emit()

    def _on_models_failed(self, title: str, message: str) -> None:
        self.status_label.setText(f"{title}: see the message")
        show_error(self, (title, message))

    def _on_settings_applied(self, applied: Any) -> None:
        self.theme.set_mode(self.runtime.config.ui.theme)
        if applied.reloaded_model:
            self.status_label.setText(f"Ready · {applied.reloaded_model}")
        self.dialogs.on_settings_applied(applied)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.tray is not None and self.runtime.config.ui.close_to_tray and not self._quitting:
            event.ignore()  # keep running in the tray: quick capture and jobs go on
            self.hide()
            self.tray.showMessage("membank", "Still running here. Quit from this menu.")
            return
        if self.tray is not None:
            self.tray.hide()
        self.dialogs.shutdown()
        self.chat.stop()
        # Bounded and staged: a reply stops between tokens, a model load between its steps; a
        # load that will not stop is left behind (see stop_thread) and the process exits.
        began = time.monotonic()
        self.stopped_cleanly = stop_thread(
            self.worker_thread, self.worker.cancel_all, self.shutdown_bounds, "chat model"
        )
        # The store thread gets what is left of the same budget (at least its grace).
        left_ms = self.shutdown_bounds.total_ms - (time.monotonic() - began) * 1000
        wait_s = max(self.shutdown_bounds.grace_ms, left_ms) / 1000
        if not self.tasks.shutdown(timeout_s=wait_s):
            self.stopped_cleanly = False
        if self.worker_thread.isRunning():  # given up on: it must outlive this window, whose
            abandon(self.worker_thread)  # deletion would otherwise abort the process
        super().closeEvent(event)

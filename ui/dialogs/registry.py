"""DialogRegistry: opens each of the main window's dialogs once, keeps a reference to it (a
dialog without one is collected mid-use), and raises the open one instead of making another."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from app.config import Paths
from app.engine.host import ModelHost
from app.engine.model_manager import ModelManager
from app.services.chat import ChatService
from app.services.curation import MemoryCuration
from app.services.people import PeopleService
from app.services.privacy import PrivacyService
from ui.browser.memory_browser import MemoryBrowser
from ui.browser.people_view import PeopleView
from ui.chat.worker import ChatWorker
from ui.dialogs.models_dialog import ModelsDialog
from ui.dialogs.persona_dialog import PersonaDialog
from ui.dialogs.privacy_dialogs import AuditDialog, ForgetAboutDialog
from ui.dialogs.quick_capture import QuickCaptureDialog
from ui.dialogs.search_dialog import SearchDialog
from ui.dialogs.settings_dialog import SettingsDialog
from ui.errors import show_error
from ui.tasks import TaskRunner

W = TypeVar("W", bound=QWidget)


class DialogRegistry(QObject):
    """Each dialog gets the narrow services it uses; `get(Kind)` finds the one open (tests)."""

    status_changed = Signal(str)  # for the window's status bar
    conversation_requested = Signal(int)  # a search result to open
    settings_requested = Signal(object)  # Config, to apply on the chat worker

    def __init__(
        self,
        window: QWidget,
        tasks: TaskRunner,
        *,
        chat: ChatService,
        curation: MemoryCuration,
        privacy: PrivacyService,
        host: ModelHost,
        paths: Paths,
        manager: ModelManager,
        worker: ChatWorker,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.tasks = tasks
        self.chat = chat
        self.curation = curation
        self.privacy = privacy
        self.host = host
        self.paths = paths
        self.manager = manager
        self.worker = worker
        self._open: dict[type[QWidget], QWidget] = {}

    def get(self, kind: type[W]) -> W | None:
        found = self._open.get(kind)
        return found if isinstance(found, kind) else None

    def _show(self, kind: type[W], make: Callable[[], W], *, fresh: bool = False) -> W:
        """The open `kind`, or a new one from `make` (always a new one when `fresh`: the old is
        closed), shown and raised."""
        dialog = self.get(kind)
        if dialog is not None and fresh:
            dialog.close()
            dialog = None
        if dialog is None:
            dialog = make()
            self._open[kind] = dialog
        if isinstance(dialog, QDialog) and dialog.isModal():
            dialog.open()
        else:
            dialog.show()
            dialog.raise_()
        return dialog

    # --- the dialogs -----------------------------------------------------------------------

    def show_memory_browser(self, select: str | None = None) -> MemoryBrowser:
        browser = self._show(
            MemoryBrowser,
            lambda: MemoryBrowser(self.curation, self.privacy, self.tasks, self.window),
        )
        browser.activateWindow()
        browser.refresh(select=select)
        return browser

    def show_people(self) -> PeopleView:
        def make() -> PeopleView:
            view = PeopleView(
                PeopleService(self.curation.store, self.privacy), self.tasks, self.window
            )
            view.filter_requested.connect(
                lambda name: self.show_memory_browser().filter_by_entity(name)
            )
            return view

        view = self._show(PeopleView, make)
        view.refresh()
        return view

    def show_settings(self) -> SettingsDialog:
        from models.chat.llama_chat import gpu_offload_supported

        def make() -> SettingsDialog:
            dialog = SettingsDialog(self.host, self.paths, gpu_offload_supported(), self.window)
            dialog.apply_requested.connect(self.settings_requested)
            return dialog

        return self._show(SettingsDialog, make, fresh=True)  # today's settings, not stale ones

    def on_settings_applied(self, applied: Any) -> None:
        dialog = self.get(SettingsDialog)
        if dialog is not None:
            dialog.on_applied(applied)

    def on_settings_failed(self, title: str, message: str) -> None:
        dialog = self.get(SettingsDialog)
        if dialog is not None:
            dialog.on_failed(title, message)
        else:
            show_error(self.window, (title, message))

    def show_search(self) -> SearchDialog:
        def make() -> SearchDialog:
            dialog = SearchDialog(self.chat, self.tasks, self.window)
            dialog.open_requested.connect(self.conversation_requested)
            return dialog

        dialog = self._show(SearchDialog, make)
        dialog.query.setFocus()
        dialog.query.selectAll()
        return dialog

    def show_models(self) -> ModelsDialog:
        dialog = self._show(
            ModelsDialog, lambda: ModelsDialog(self.manager, self.tasks, self.worker, self.window)
        )
        dialog.refresh()
        return dialog

    def show_persona(self) -> PersonaDialog:
        existing = self.get(PersonaDialog)
        if existing is not None:
            existing.reload()
        return self._show(
            PersonaDialog, lambda: PersonaDialog(self.curation, self.tasks, self.window)
        )

    def show_forget_about(self) -> ForgetAboutDialog:
        def make() -> ForgetAboutDialog:
            dialog = ForgetAboutDialog(self.curation, self.privacy, self.tasks, self.window)
            dialog.setModal(True)  # opened window-modal
            return dialog

        return self._show(ForgetAboutDialog, make, fresh=True)

    def show_audit(self) -> None:
        """The audit log, read off the GUI thread; the dialog opens once it is read."""

        def opened(entries: Any) -> None:
            def make() -> AuditDialog:
                dialog = AuditDialog(entries, self.window)
                dialog.setModal(True)
                return dialog

            self._show(AuditDialog, make, fresh=True)

        self.tasks.run(self.privacy.audit, opened, lambda e: show_error(self.window, e))

    def quick_capture(self) -> QuickCaptureDialog:
        def make() -> QuickCaptureDialog:
            dialog = QuickCaptureDialog(self.curation, self.tasks)  # no parent: over any app
            dialog.stored.connect(lambda m: self.status_changed.emit(f"Remembered: {m.text[:60]}"))
            return dialog

        return self._show(QuickCaptureDialog, make)

    def shutdown(self) -> None:
        """At quit: close quick capture (it has no parent), stop a download or re-embedding."""
        capture = self.get(QuickCaptureDialog)
        if capture is not None:
            capture.close()
        models = self.get(ModelsDialog)
        if models is not None:
            models.shutdown()

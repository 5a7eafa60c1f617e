"""Export and import from the window: file dialogs, a passphrase, progress, and a clear result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QProgressDialog

from app.services.archive import ArchiveService
from memory.errors import ArchiveEncryptedError
from ui.errors import show_error
from ui.tasks import TaskRunner

ARCHIVE_FILTER = "membank archives (*.membank);;All files (*)"
IMPORT_FILTER = (
    "membank archives (*.membank);;ChatGPT export (conversations.json);;JSON (*.json);;"
    "All files (*)"
)


class _PhaseRelay(QObject):
    """Carries progress text from the store thread to the progress dialog (queued)."""

    phase = Signal(str)


class ArchiveActions:
    def __init__(self, window: Any, service: ArchiveService, tasks: TaskRunner) -> None:
        self.window = window
        self.service = service
        self.tasks = tasks
        self.progress: QProgressDialog | None = None
        self._relay = _PhaseRelay()

    def _busy(self, title: str) -> Callable[[str], None]:
        progress = QProgressDialog(title, "", 0, 0, self.window)
        progress.setObjectName("archiveProgress")
        progress.setWindowTitle(title)
        progress.setCancelButton(None)  # an import is all-or-nothing: it is never half-stopped
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        self._relay.phase.connect(progress.setLabelText)
        progress.show()
        self.progress = progress
        return self._relay.phase.emit

    def _done(self) -> None:
        if self.progress is not None:
            self._relay.phase.disconnect(self.progress.setLabelText)
            self.progress.close()
            self.progress = None

    def export(self, path: str | None = None, passphrase: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self.window, "Export memory", "memory.membank", ARCHIVE_FILTER
            )
            if not path:
                return
            text, ok = QInputDialog.getText(
                self.window,
                "Export memory",
                "Passphrase to encrypt it (empty: no encryption):",
                QLineEdit.EchoMode.Password,
            )
            if not ok:
                return
            passphrase = text or None
        report_phase = self._busy("Exporting memory…")
        service = self.service
        target = Path(path)

        def finished(report: Any) -> None:
            self._done()
            memories = report.counts.get("memories", 0)
            self.window.status_label.setText(f"Exported {memories} memories to {report.path}")

        self.tasks.run(
            lambda: service.export(target, passphrase=passphrase, on_phase=report_phase),
            finished,
            self._failed,
        )

    def import_(
        self, path: str | None = None, mode: str | None = None, passphrase: str | None = None
    ) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Import", "", IMPORT_FILTER)
            if not path:
                return
        source = Path(path)
        archive = source.suffix == ".membank"
        if archive and mode is None:
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Import memory",
                "Merge this archive into your memory, or replace your memory with it?\n"
                "(Replace saves a backup of the current memory first.)",
                QMessageBox.StandardButton.Cancel,
                self.window,
            )
            merge = box.addButton("Merge", QMessageBox.ButtonRole.AcceptRole)
            replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
            box.exec()
            if box.clickedButton() not in (merge, replace):
                return
            mode = "merge" if box.clickedButton() is merge else "replace"
        report_phase = self._busy("Importing…")
        service = self.service

        def run() -> Any:
            if archive:
                return service.import_archive(source, mode or "merge", passphrase, report_phase)
            return service.import_file(source)

        def failed(error: BaseException) -> None:
            self._done()
            if isinstance(error, ArchiveEncryptedError):
                text, ok = QInputDialog.getText(
                    self.window, "Encrypted archive", "Passphrase:", QLineEdit.EchoMode.Password
                )
                if ok and text:
                    self.import_(path, mode, text)
                return
            show_error(self.window, error)

        def finished(report: Any) -> None:
            self._done()
            added = getattr(report, "added", None)
            summary = (
                ", ".join(f"{n} {k}" for k, n in added.items() if n)
                if isinstance(added, dict)
                else str(report)
            )
            self.window.status_label.setText(f"Imported: {summary or 'nothing new'}")
            self.window.refresh_conversations()

        self.tasks.run(run, finished, failed)

    def import_notes_folder(self, folder: str | None = None) -> None:
        """Each .txt/.md file in a folder becomes a note (the file dialog cannot pick folders)."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self.window, "Import a folder of notes")
            if not folder:
                return
        self.import_(folder, mode="merge")

    def _failed(self, error: BaseException) -> None:
        self._done()
        show_error(self.window, error)

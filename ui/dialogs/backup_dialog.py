"""File → Restore from backup…: pick a rolling backup (date, size), confirm, restore off the GUI
thread with progress (a replacing import: the current memory is saved first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.transfer.backups import Backup, list_backups, restore
from ui.errors import show_error


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{max(1, n // 1000)} kB"


class BackupDialog(QDialog):
    def __init__(self, parent: QWidget | None, folder: Path) -> None:
        super().__init__(parent)
        self.setObjectName("backupDialog")
        self.setWindowTitle("Restore from backup")
        self.list = QListWidget(self)
        self.list.setObjectName("backupList")
        self.note = QLabel(f"Backups in {folder}, newest first. Loading…", self)
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.restore_button = buttons.addButton("Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.currentItemChanged.connect(
            lambda item, _: self.restore_button.setEnabled(bool(item))
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(520, 320)

    def show_backups(self, backups: list[Backup]) -> None:
        self.note.setText(
            "Choose a backup. Restoring replaces all memory with it; the current memory is "
            "saved first as a safety copy."
            if backups
            else "No backups yet. membank writes one every day (see Settings: [backup])."
        )
        for b in backups:
            kind = "" if b.rolling else "   (safety copy from before an import)"
            item = QListWidgetItem(f"{b.created:%Y-%m-%d %H:%M}   {_size(b.size)}{kind}")
            item.setData(Qt.ItemDataRole.UserRole, b)
            self.list.addItem(item)
        if backups:
            self.list.setCurrentRow(0)

    def chosen(self) -> Backup | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


class BackupActions:
    """Owned by the main window; uses its ArchiveActions' progress dialog and task runner."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.dialog: BackupDialog | None = None

    def open_dialog(self) -> None:
        archive = self.window.archive
        folder = archive.service.backups_dir
        dialog = BackupDialog(self.window, folder)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._confirm(dialog.chosen()))
        dialog.open()
        archive.tasks.run(lambda: list_backups(folder), dialog.show_backups, self._failed)

    def _confirm(self, backup: Backup | None) -> None:
        if backup is None:
            return
        answer = QMessageBox.question(
            self.window,
            "Restore from backup",
            f"Replace all memory with the backup from {backup.created:%Y-%m-%d %H:%M}?\n"
            "The current memory is saved first as a safety copy in the same folder.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.restore(backup)

    def restore(self, backup: Backup) -> None:
        archive = self.window.archive
        report_phase = archive._busy("Restoring from backup…")
        service = archive.service

        def finished(report: Any) -> None:
            archive._done()
            self.window.status_label.setText(
                f"Restored the backup from {backup.created:%Y-%m-%d %H:%M} "
                f"(the previous memory is saved in {report.backup})"
            )
            self.window.refresh_conversations()

        archive.tasks.run(
            lambda: restore(service, backup.path, report_phase), finished, archive._failed
        )

    def _failed(self, error: BaseException) -> None:
        show_error(self.window, error)

"""The Models window: the catalog with fit badges, downloads with progress and Cancel, the
installed and active models, switching the chat model and the embedder (each swap on the chat
worker, the thread that owns the models)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.model_manager import (
    ModelManager,
    ModelStatus,
    ModelSwitchCancelled,
    PreparedEmbedder,
)
from models.errors import DownloadCancelled
from models.hub.suggest import suggest_chat_model
from ui.chat.worker import ChatWorker
from ui.errors import show_error
from ui.tasks import TaskRunner

BADGES = {
    "fits": ("Fits", "#2e7d32"),
    "tight": ("Tight", "#b26a00"),
    "too_big": ("Too big", "#b02a37"),
}
CHAT_COLUMNS = ["Model", "Size", "Fit", "Status", "Why"]
EMBEDDER_COLUMNS = ["Embedder", "Size", "Fit", "Dim", "Languages", "Status"]
BADGE_COLUMN = 2  # "Fit" in both tables


@dataclass(frozen=True)
class Row:
    """One table row: a catalog entry (status) or a GGUF file the user added (path)."""

    status: ModelStatus | None
    path: Path | None


class ModelsDialog(QWidget):
    """Heavy work runs off the GUI thread: listing and deleting on `tasks`, downloads and
    re-embedding on this window's own runner, every swap (the chat model, the embedder's
    final step) on the chat worker."""

    switch_requested = Signal(str)
    embedder_commit_requested = Signal(object)  # PreparedEmbedder, to the chat worker
    refreshed = Signal()
    download_finished = Signal(str)  # entry id
    embedder_switched = Signal(str)  # folder
    _progress = Signal(object, object, str)  # done, total, what (from worker threads)

    def __init__(
        self,
        manager: ModelManager,
        tasks: TaskRunner,
        worker: ChatWorker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("modelsDialog")
        self.setWindowTitle("Models")
        self.resize(980, 640)
        self.tasks = tasks
        self.worker = worker
        self.manager = manager
        self.background = TaskRunner(self)  # downloads/re-embedding must not block store work
        self.cancel = threading.Event()
        self.chat_rows: list[Row] = []
        self.embedder_rows: list[Row] = []
        self._last_emit = 0.0
        self._build()
        self.switch_requested.connect(worker.switch_chat_model)
        worker.model_switched.connect(self._on_model_switched)
        worker.model_switch_failed.connect(self._on_model_switch_failed)
        self.embedder_commit_requested.connect(worker.commit_embedder)
        worker.embedder_switched.connect(self._on_embedder_switched)
        worker.embedder_switch_failed.connect(self._on_embedder_switch_failed)
        self._progress.connect(self._on_progress)
        self.refresh()

    # --- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.hardware_label = QLabel("Checking this computer…")
        self.suggestion_label = QLabel("")
        self.suggestion_label.setWordWrap(True)
        self.suggested_id = ""
        self.chat_table = self._table(CHAT_COLUMNS)
        self.embedder_table = self._table(EMBEDDER_COLUMNS)
        self.download_button = QPushButton("&Download")
        self.use_button = QPushButton("&Use this model")
        self.delete_button = QPushButton("De&lete")
        self.add_button = QPushButton("&Add a GGUF file…")
        self.embedder_download_button = QPushButton("Download")
        self.embedder_use_button = QPushButton("Use this embedder")
        self.folder_button = QPushButton("Use a local &folder…")
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.download_button.clicked.connect(lambda: self.download(self._selected(self.chat_table)))
        self.use_button.clicked.connect(self.use_selected_chat)
        self.delete_button.clicked.connect(self.delete_selected)
        self.add_button.clicked.connect(self.add_gguf_dialog)
        self.embedder_download_button.clicked.connect(
            lambda: self.download(self._selected(self.embedder_table))
        )
        self.embedder_use_button.clicked.connect(self.use_selected_embedder)
        self.folder_button.clicked.connect(self.use_folder_dialog)
        self.cancel_button.clicked.connect(self.cancel.set)

        chat_box = QGroupBox("Chat models")
        chat_layout = QVBoxLayout(chat_box)
        chat_layout.addWidget(self.chat_table)
        chat_layout.addLayout(
            self._row(self.download_button, self.use_button, self.delete_button, self.add_button)
        )
        embedder_box = QGroupBox("Embedding models (how memories are found)")
        embedder_layout = QVBoxLayout(embedder_box)
        embedder_layout.addWidget(self.embedder_table)
        embedder_layout.addLayout(
            self._row(self.embedder_download_button, self.embedder_use_button, self.folder_button)
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.hardware_label)
        layout.addWidget(self.suggestion_label)
        layout.addWidget(chat_box, 3)
        layout.addWidget(embedder_box, 2)
        layout.addLayout(self._row(self.progress, self.cancel_button))
        layout.addWidget(self.status_label)

    @staticmethod
    def _table(columns: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(columns))
        table.setHorizontalHeaderLabels(columns)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(
            len(columns) - 1, QHeaderView.ResizeMode.Stretch
        )
        return table

    @staticmethod
    def _row(*widgets: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        for widget in widgets:
            row.addWidget(widget)
        row.addStretch(0)
        return row

    # --- listing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        manager = self.manager

        def load() -> tuple[Any, list[ModelStatus], list[Path]]:
            return manager.hardware, manager.entries(), manager.local_gguf_files()

        self.tasks.run(load, self._show, self._error)

    def _show(self, loaded: tuple[Any, list[ModelStatus], list[Path]]) -> None:
        hw, statuses, files = loaded
        gpu = "GPU offload available" if hw.gpu_offload else "no GPU offload (CPU only)"
        vram = f", {hw.vram_bytes / 1e9:.1f} GB VRAM" if hw.vram_bytes else ""
        self.hardware_label.setText(
            f"This computer: {hw.ram_total / 1e9:.1f} GB RAM ({hw.ram_available / 1e9:.1f} GB "
            f"free), {gpu}{vram}. Active chat model: {self.manager.active_chat_path().name}"
        )
        found = suggest_chat_model([s.entry for s in statuses], hw)
        self.suggested_id = found.entry.id if found else ""
        self.suggestion_label.setText(
            f"★ Suggested for this computer: {found.text()}. The bundled model stays the "
            "offline default."
            if found
            else "No 1.5-4B chat model fits this computer comfortably: the bundled one is best."
        )
        catalog_paths = {s.installed_path for s in statuses if s.installed_path}
        self.chat_rows = [Row(s, None) for s in statuses if s.entry.kind == "chat"]
        self.chat_rows += [Row(None, p) for p in files if p not in catalog_paths]
        self.embedder_rows = [Row(s, None) for s in statuses if s.entry.kind == "embedder"]
        active = self.manager.active_chat_path().resolve()
        self._fill(
            self.chat_table,
            [self._chat_cells(r, active) for r in self.chat_rows],
            [r.status for r in self.chat_rows],
        )
        self._fill(
            self.embedder_table,
            [self._embedder_cells(r) for r in self.embedder_rows],
            [r.status for r in self.embedder_rows],
        )
        self.refreshed.emit()

    @staticmethod
    def _state(status: ModelStatus | None, active: bool) -> str:
        if active:
            return "● In use"
        if status is not None and status.installed_path is None:
            return "Not downloaded"
        return "Installed"

    def _chat_cells(self, row: Row, active: Path) -> list[str]:
        if row.status is None:
            assert row.path is not None
            is_active = row.path.resolve() == active
            size = f"{row.path.stat().st_size / 1e9:.2f} GB"
            return [row.path.name, size, "", self._state(None, is_active), "added by you"]
        e = row.status.entry
        star = "★ " if e.id == self.suggested_id else ""
        return [
            f"{star}{e.name} ({e.quantization})",
            f"{e.size_bytes / 1e9:.2f} GB",
            "",
            self._state(row.status, row.status.active),
            f"{row.status.advice.reason}. {e.licence}; {e.context_length:,} tokens",
        ]

    def _embedder_cells(self, row: Row) -> list[str]:
        assert row.status is not None
        e = row.status.entry
        return [
            e.name,
            f"{e.size_bytes / 1e6:.0f} MB",
            "",
            str(e.dim),
            ", ".join(e.languages),
            self._state(row.status, row.status.active),
        ]

    @staticmethod
    def _fill(table: QTableWidget, cells: list[list[str]], statuses: list[Any]) -> None:
        selected = table.currentRow()
        table.setRowCount(len(cells))
        for r, (values, status) in enumerate(zip(cells, statuses, strict=True)):
            for c, value in enumerate(values):
                table.setItem(r, c, QTableWidgetItem(value))
            if status is not None:
                text, colour = BADGES[status.advice.fit]
                badge = QTableWidgetItem(text)
                badge.setBackground(QBrush(QColor(colour)))
                badge.setForeground(QBrush(QColor("white")))
                badge.setToolTip(status.advice.reason)
                table.setItem(r, BADGE_COLUMN, badge)
        table.resizeColumnsToContents()
        if 0 <= selected < len(cells):
            table.selectRow(selected)

    def _selected(self, table: QTableWidget) -> Row | None:
        rows = self.chat_rows if table is self.chat_table else self.embedder_rows
        index = table.currentRow()
        return rows[index] if 0 <= index < len(rows) else None

    # --- actions ---------------------------------------------------------------------------

    def download(self, row: Row | None) -> None:
        if row is None or row.status is None:
            self._say("Select a catalog model to download.")
            return
        entry = row.status.entry
        self.cancel.clear()
        self._busy(True, f"Downloading {entry.name}…")
        manager, cancel = self.manager, self.cancel

        def work() -> Path:
            return manager.download(entry.id, self._report(entry.name), cancel)

        def done(path: Path) -> None:
            self._busy(False, f"Downloaded {entry.name} to {path}.")
            self.download_finished.emit(entry.id)
            self.refresh()

        self.background.run(work, done, self._failed)

    def use_selected_chat(self) -> None:
        row = self._selected(self.chat_table)
        path = (
            row.path
            if row is not None and row.status is None
            else (row.status.installed_path if row is not None and row.status is not None else None)
        )
        if path is None:
            self._say("Select a downloaded model first (or download it).")
            return
        self._busy(True, f"Loading {path.name}… the current model answers until it is ready.")
        self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(False)
        self.switch_requested.emit(str(path))

    @Slot(str)
    def _on_model_switched(self, path: str) -> None:
        self._busy(False, f"Now chatting with {Path(path).name}.")
        self.refresh()

    @Slot(str, str)
    def _on_model_switch_failed(self, title: str, message: str) -> None:
        self._busy(False, f"{title}. The previous model is still in use.")
        show_error(self, (title, message))

    def delete_selected(self) -> None:
        row = self._selected(self.chat_table)
        if row is None:
            self._say("Select a model to delete.")
            return
        target = row.status.entry.id if row.status is not None else str(row.path)
        answer = QMessageBox.question(self, "Delete model", f"Delete {target} from disk?")
        if answer == QMessageBox.StandardButton.Yes:
            self.tasks.run(
                lambda: self.manager.remove(target), lambda _: self.refresh(), self._error
            )

    def add_gguf_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Add a GGUF file", "", "GGUF models (*.gguf)")
        if name:
            self.add_gguf(Path(name))

    def add_gguf(self, path: Path) -> None:
        def done(warnings: list[str]) -> None:
            self.refresh()
            if warnings:
                box = QMessageBox(
                    QMessageBox.Icon.Information,
                    "Model added",
                    "\n\n".join(warnings),
                    QMessageBox.StandardButton.Ok,
                    self,
                )
                box.setObjectName("addWarnings")
                box.open()
            else:
                self._say(f"Added {path.name}.")

        self.background.run(lambda: self.manager.add_gguf(path), done, self._error)

    def use_selected_embedder(self) -> None:
        row = self._selected(self.embedder_table)
        if row is None or row.status is None or row.status.installed_path is None:
            self._say("Select a downloaded embedder first (or download it).")
            return
        self.use_embedder(row.status.installed_path)

    def use_folder_dialog(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "A sentence-transformers model folder")
        if name:
            self.use_embedder(Path(name))

    def use_embedder(self, folder: Path) -> None:
        self.cancel.clear()
        self._busy(
            True,
            f"Re-embedding every memory with {folder.name}; recall keeps "
            "working with the current model meanwhile…",
        )
        manager, cancel = self.manager, self.cancel

        def prepared(ready: PreparedEmbedder) -> None:
            self.cancel_button.setEnabled(False)  # the swap is quick and all-or-nothing
            self.progress.setRange(0, 0)
            self._say(f"Switching to {folder.name}…")
            self.embedder_commit_requested.emit(ready)

        self.background.run(
            lambda: manager.prepare_embedder(folder, self._report("memories"), cancel),
            prepared,
            self._failed,
        )

    @Slot(str)
    def _on_embedder_switched(self, folder: str) -> None:
        self._busy(False, f"Memories are now found with {Path(folder).name}.")
        self.embedder_switched.emit(folder)
        self.refresh()

    @Slot(str, str)
    def _on_embedder_switch_failed(self, title: str, message: str) -> None:
        self._busy(False, f"{title}. The previous embedder is still in use.")
        show_error(self, (title, message))

    # --- progress and errors ---------------------------------------------------------------

    def _report(self, what: str) -> Any:
        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if done >= total or now - self._last_emit > 0.05:
                self._last_emit = now
                self._progress.emit(done, total, what)  # queued to the GUI thread

        return progress

    @Slot(object, object, str)
    def _on_progress(self, done: int, total: int, what: str) -> None:
        if total > 1_000_000:  # bytes: the bar counts kB (int range)
            done, total = done // 1000, total // 1000
        self.progress.setFormat(f"{what}: %p%")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _busy(self, busy: bool, message: str) -> None:
        for button in (
            self.download_button,
            self.use_button,
            self.delete_button,
            self.add_button,
            self.embedder_download_button,
            self.embedder_use_button,
            self.folder_button,
        ):
            button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 100)
            self.progress.setValue(0)
        self._say(message)

    def _say(self, message: str) -> None:
        self.status_label.setText(message)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, DownloadCancelled | ModelSwitchCancelled):
            self._busy(False, str(error))
            return
        self._busy(False, "That did not work; nothing was changed.")
        show_error(self, error)

    def _error(self, error: BaseException) -> None:
        show_error(self, error)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:  # like a dialog (closing stops a download)
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.cancel.set()  # a download stops between chunks, keeping its part file
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Wait for a cancelled download or re-embedding to stop (at quit)."""
        self.cancel.set()
        self.background.shutdown()

"""Quick capture: a small always-on-top box; Enter stores a note at once, Esc cancels."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.services.curation import MemoryCuration
from ui.tasks import TaskRunner

HINT = "Enter stores it · Esc cancels"


class QuickCaptureDialog(QDialog):
    stored = Signal(object)  # the Memory, once committed

    def __init__(
        self, curation: MemoryCuration, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.curation = curation
        self.tasks = tasks
        self.setObjectName("quickCapture")
        self.setWindowTitle("Remember this")
        self.setWindowFlags(
            Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.Dialog
        )
        self.setMinimumWidth(460)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("A thought, a fact, a to-do…")
        self.edit.returnPressed.connect(self.store)
        self.status = QLabel(HINT)
        self.status.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Remember this</b> — stored as a note in your memory at once"))
        layout.addWidget(self.edit)
        layout.addWidget(self.status)

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)  # type: ignore[arg-type]
        self.edit.setFocus()
        self.raise_()
        self.activateWindow()

    def store(self) -> None:
        text = self.edit.text().strip()
        if not text:
            return
        self.edit.setEnabled(False)
        service = self.curation
        self.tasks.run(lambda: service.capture(text), self._stored, self._failed)

    def _stored(self, memory: object) -> None:
        self.status.setText("Remembered ✓")
        self.stored.emit(memory)
        QTimer.singleShot(700, self._reset_and_hide)

    def _failed(self, error: BaseException) -> None:
        self.edit.setEnabled(True)
        self.status.setText(f"Not stored: {error}")

    def _reset_and_hide(self) -> None:
        self.edit.clear()
        self.edit.setEnabled(True)
        self.status.setText(HINT)
        self.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.edit.clear()
            self.hide()
            return
        super().keyPressEvent(event)

"""Privacy from the window: forget everything about X (search, review, forget), the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.curation import MemoryCuration
from app.services.privacy import PrivacyService
from memory.records import Recalled
from memory.storage.audit import AuditEntry
from ui.errors import confirm_forget, show_error
from ui.tasks import TaskRunner

ROLE_ID = 0x0100


class ForgetAboutDialog(QDialog):
    """Search, tick what should go (everything found starts ticked), forget after a confirm."""

    def __init__(
        self,
        curation: MemoryCuration,
        privacy: PrivacyService,
        tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.curation = curation
        self.privacy = privacy
        self.tasks = tasks
        self.setWindowTitle("Forget everything about…")
        self.resize(620, 480)
        self.query = QLineEdit()
        self.query.setPlaceholderText("a person, a place, a topic…")
        self.query.returnPressed.connect(self.search)
        search = QPushButton("Search")
        search.clicked.connect(self.search)
        self.results = QListWidget()
        self.results.setObjectName("forgetResults")
        self.forget_button = QPushButton("Forget selected…")
        self.forget_button.setEnabled(False)
        self.forget_button.clicked.connect(self.confirm_and_forget)
        self.status = QLabel("Search, review the list, then forget what you ticked.")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(search)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        bottom = QHBoxLayout()
        bottom.addWidget(self.forget_button)
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout.addLayout(bottom)

    def search(self) -> None:
        text = self.query.text().strip()
        if text:
            service = self.curation
            self.tasks.run(lambda: service.search(text, 50), self._show, self._error)

    def _show(self, found: Sequence[Recalled]) -> None:
        self.results.clear()
        for item in found:
            m = item.memory
            row = QListWidgetItem(f"{m.event_time.astimezone():%Y-%m-%d}  [{m.kind}]  {m.text}")
            row.setData(ROLE_ID, m.id)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked)
            self.results.addItem(row)
        self.forget_button.setEnabled(bool(found))
        self.status.setText(f"{len(found)} memories found.")

    def checked_ids(self) -> list[str]:
        return [
            str(self.results.item(i).data(ROLE_ID))
            for i in range(self.results.count())
            if self.results.item(i).checkState() == Qt.CheckState.Checked
        ]

    def confirm_and_forget(self) -> None:
        ids = self.checked_ids()
        if not ids:
            return
        if confirm_forget(self, len(ids)):
            self.forget(ids)

    def forget(self, ids: list[str]) -> None:
        service = self.privacy
        self.forget_button.setEnabled(False)
        self.tasks.run(lambda: service.forget(ids), self._forgotten, self._error)

    def _forgotten(self, report: Any) -> None:
        self.results.clear()
        self.status.setText(
            f"Forgotten: {len(report.forgotten)} memories and {len(report.derived)} derived items."
        )

    def _error(self, error: BaseException) -> None:
        show_error(self, error)


class AuditDialog(QDialog):
    def __init__(self, entries: Sequence[AuditEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Audit log")
        self.resize(720, 480)
        self.table = QTableWidget(len(entries), 5)
        self.table.setObjectName("auditTable")
        self.table.setHorizontalHeaderLabels(["When", "Event", "By", "Memory", "Detail"])
        for row, e in enumerate(entries):
            values = [
                f"{e.at.astimezone():%Y-%m-%d %H:%M}",
                e.event,
                e.actor,
                (e.memory_id or "")[:8],
                ", ".join(f"{k}: {v}" for k, v in e.detail.items()),
            ]
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

"""Connected apps: which AI apps reached membank over MCP, when, and what each may do."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.bootstrap import Runtime
from app.config import Permission
from app.mcp.apps import ConnectedApp, connected_apps, with_permission
from app.mcp.client_setup import client_setups, mcp_command, with_client
from app.mcp.gateway import PERMISSION_TEXT
from ui.errors import show_error
from ui.tasks import TaskRunner

PERMISSIONS: tuple[Permission, ...] = ("read", "remember", "full")
HELP = (
    "Apps such as Claude Desktop, Cursor, Jan or LM Studio reach your memory through "
    "<code>membank-mcp</code>: <b>Add an app…</b> shows what to paste into each. Each call is "
    "in the audit log, by id only. An app not listed gets the default: {default}. "
    "Pause memory stops every app's writes too."
)


class ConnectedAppsDialog(QDialog):
    """One row per app: its permission (changed here, saved to config.toml at once), its last
    access, how many recent calls it made and how many were refused."""

    def __init__(self, runtime: Runtime, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.tasks = tasks
        self.setWindowTitle("Connected apps")
        self.resize(760, 360)
        default = PERMISSION_TEXT[runtime.config.mcp.default_permission]
        self.help = QLabel(HELP.format(default=default))
        self.help.setWordWrap(True)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("connectedAppsTable")
        self.table.setHorizontalHeaderLabels(
            ["App", "May", "Last access", "Recent calls", "Last tool", "Space"]
        )
        self.status = QLabel("")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.add_button = buttons.addButton("Add an app…", QDialogButtonBox.ButtonRole.ActionRole)
        self.add_button.clicked.connect(self.add_app)
        layout = QVBoxLayout(self)
        layout.addWidget(self.help)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.apps: list[ConnectedApp] = []
        self.refresh()

    def refresh(self) -> None:
        store, config = self.runtime.store, self.runtime.config.mcp
        self.tasks.run(lambda: connected_apps(store, config), self._show, self._error)

    def _show(self, apps: Sequence[ConnectedApp]) -> None:
        self.apps = list(apps)
        self.table.setRowCount(len(apps))
        for row, app in enumerate(apps):
            when = f"{app.last_access.astimezone():%Y-%m-%d %H:%M}" if app.last_access else "never"
            calls = f"{app.calls}" + (f" ({app.refused} refused)" if app.refused else "")
            cells = ((0, app.name), (2, when), (3, calls), (4, app.last_tool), (5, app.space))
            for col, value in cells:
                self.table.setItem(row, col, QTableWidgetItem(value))
            combo = QComboBox()
            for permission in PERMISSIONS:
                combo.addItem(PERMISSION_TEXT[permission], permission)
            combo.setCurrentIndex(PERMISSIONS.index(app.permission))
            combo.currentIndexChanged.connect(
                lambda index, name=app.name: self.set_permission(name, PERMISSIONS[index])
            )
            self.table.setCellWidget(row, 1, combo)
        self.table.resizeColumnsToContents()
        self.status.setText(
            "" if apps else "No app has connected yet: Add an app… shows what to paste into it."
        )

    def set_permission(self, client: str, permission: Permission) -> None:
        """Saved at once; the next call from that app (window or membank-mcp) obeys it."""
        host = self.runtime.host

        def saved(_: object) -> None:
            self.status.setText(f"{client} may now: {PERMISSION_TEXT[permission]}.")

        # Read, change, save and swap under the host's one config lock, off the GUI thread: a
        # settings edit or model switch landing meanwhile keeps this change, and this keeps it.
        change = lambda current: with_permission(current, client, permission)  # noqa: E731
        self.tasks.run(lambda: host.update_config(change), saved, self._error)

    def add_app(self) -> AddAppDialog:
        dialog = AddAppDialog(self.runtime, self.tasks, self)
        dialog.saved.connect(self.refresh)
        dialog.open()
        return dialog

    def _error(self, error: BaseException) -> None:
        show_error(self, error)


class AddAppDialog(QDialog):
    """The entry to paste into an app (absolute paths, its client name), with a Copy button;
    its permission and space are set here, before its first call."""

    saved = Signal()

    def __init__(self, runtime: Runtime, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.tasks = tasks
        self.setWindowTitle("Add an app")
        self.resize(680, 460)
        data_dir = (
            str(runtime.paths.data_dir)
            if runtime.paths.config_file.parent == (runtime.paths.data_dir)
            else None
        )  # a --data-dir / MEMBANK_HOME folder: the app must be told it too
        self.setups = client_setups(mcp_command(), data_dir, runtime.config.mcp.http_port)
        self.app_combo = QComboBox()
        self.app_combo.setObjectName("appChoice")
        for setup in self.setups:
            self.app_combo.addItem(setup.app, setup.client)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.snippet = QPlainTextEdit()
        self.snippet.setObjectName("appSnippet")
        self.snippet.setReadOnly(True)
        self.snippet.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the entry to the clipboard")
        copy.clicked.connect(self.copy)
        self.permission = QComboBox()
        for permission in PERMISSIONS:
            self.permission.addItem(PERMISSION_TEXT[permission], permission)
        self.space = QComboBox()
        self.space.setEditable(True)
        spaces = {"personal"} | {c.space for c in runtime.config.mcp.clients.values()}
        self.space.addItems(sorted(spaces))
        self.status = QLabel("")
        form = QFormLayout()
        form.addRow("App:", self.app_combo)
        form.addRow("Where:", self.where)
        form.addRow(self.snippet)
        form.addRow("", copy)
        form.addRow("It may:", self.permission)
        form.addRow("Memory space:", self.space)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.app_combo.currentIndexChanged.connect(self._show)
        self._show(0)

    def _show(self, index: int) -> None:
        setup = self.setups[index]
        self.where.setText(setup.where)
        self.snippet.setPlainText(setup.snippet)
        current = self.runtime.config.mcp.clients.get(setup.client)
        permission = current.permission if current else self.runtime.config.mcp.default_permission
        self.permission.setCurrentIndex(PERMISSIONS.index(permission))
        self.space.setCurrentText(current.space if current else "personal")

    def copy(self) -> None:
        QApplication.clipboard().setText(self.snippet.toPlainText())
        self.status.setText("Copied: paste it where it says above.")

    def save(self) -> None:
        """The app's permission and space, saved now (through the one config path)."""
        client = str(self.app_combo.currentData())
        permission: Permission = self.permission.currentData()
        space = self.space.currentText().strip()
        host = self.runtime.host

        def saved(_: object) -> None:
            self.status.setText(f"Saved: {client} may {PERMISSION_TEXT[permission]} in {space}.")
            self.saved.emit()

        change = lambda c: with_client(c, client, permission, space)  # noqa: E731
        self.tasks.run(lambda: host.update_config(change), saved, lambda e: show_error(self, e))

"""Help → Keyboard shortcuts: every menu shortcut (read from the window's own actions, so the
list cannot drift from the menus) and the keys of the chat box."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

CHAT_KEYS = (
    ("Enter", "Send the message"),
    ("Shift+Enter", "A new line in the message"),
    ("Esc", "Stop the reply (in the chat); close a dialog or the memory browser"),
)


def menu_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, what) for each menu action with a shortcut, in menu order."""
    found: list[tuple[str, str]] = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        where = menu_action.text().replace("&", "")
        for action in menu.actions():
            if not isinstance(action, QAction) or action.shortcut().isEmpty():
                continue
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            found.append((keys, f"{where} → {action.text().replace('&', '').rstrip('…')}"))
    return found


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 560)
        rows = menu_shortcuts(window) + list(CHAT_KEYS)
        self.table = QTableWidget(len(rows), 2)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, what) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(what))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

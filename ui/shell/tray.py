"""The system-tray icon: Open, Quick capture, Consolidate now, Quit (only where a tray exists)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


class TrayIcon(QSystemTrayIcon):
    def __init__(
        self,
        icon: QIcon,
        *,
        open_window: Callable[[], None],
        capture: Callable[[], None],
        consolidate: Callable[[], None],
        quit_app: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(icon, parent)
        self.setToolTip("membank")
        menu = QMenu(parent)
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, slot in (
            ("open", "Open membank", open_window),
            ("capture", "Quick capture…", capture),
            ("consolidate", "Consolidate now", consolidate),
            ("quit", "Quit", quit_app),
        ):
            action = menu.addAction(text)
            action.triggered.connect(slot)
            self.actions_by_name[name] = action
        self.setContextMenu(menu)
        self._menu = menu
        self.activated.connect(self._on_activated)
        self._open = open_window

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._open()

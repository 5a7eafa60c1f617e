"""File → Restore from backup…: the dialog lists the backups, and restoring (confirmed) brings
the memory back, off the GUI thread, with the safety copy written first."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from app.transfer.backups import backup_now, list_backups
from ui.shell.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.model]


def _menu_action(window: MainWindow, text: str):  # type: ignore[no-untyped-def]
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if action.text() == text:
                return action
    raise AssertionError(f"no menu item {text!r}")


def test_restore_from_backup_from_the_file_menu(
    qtbot: QtBot, runtime: Runtime, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = runtime.curation.remember("The boiler was serviced in March")
    backup = backup_now(runtime.archive, keep=7)
    later = runtime.curation.remember("A note written after the backup")
    asked: list[str] = []

    def yes(*args: object, **kwargs: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    _menu_action(window, "Restore from &backup…").trigger()
    dialog = window.backups.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=10_000)
    assert dialog.list.item(0).text().startswith(f"{backup.created:%Y-%m-%d %H:%M}")
    assert "kB" in dialog.list.item(0).text() and dialog.restore_button.isEnabled()
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: window.status_label.text().startswith("Restored"), timeout=60_000)
    assert asked and "Replace all memory" in asked[0]
    ids = runtime.store.all_memory_ids()
    assert kept.id in ids and later.id not in ids
    # The backup, and the safety copy written before the restore.
    assert sorted(b.rolling for b in list_backups(backup.path.parent)) == [False, True]


def test_the_dialog_says_when_there_are_no_backups(qtbot: QtBot, window: MainWindow) -> None:
    window.backups.open_dialog()
    dialog = window.backups.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "No backups yet" in dialog.note.text(), timeout=10_000)
    assert not dialog.restore_button.isEnabled()
    dialog.reject()

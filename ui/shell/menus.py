"""The menu bar: File, Memory and Help, their shortcuts, and the shared "Pause memory" action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

Do = Callable[[], object]


@dataclass(frozen=True)
class MenuActions:
    """What each menu item does (the panels and dialogs own the work)."""

    new_conversation: Do
    remember: Do
    quick_capture: Do
    search: Do
    regenerate: Do
    export: Do
    import_: Do
    import_notes_folder: Do
    restore_backup: Do
    models: Do
    settings: Do
    quit: Do
    set_paused: Callable[[bool], object]
    browse_memories: Do
    people: Do
    consolidate: Do
    persona: Do
    forget_about: Do
    audit: Do
    connected_apps: Do
    shortcuts: Do


def build_menus(window: QMainWindow, do: MenuActions) -> QAction:
    """Fill the window's menu bar; returns the checkable pause action (the tray shares it)."""
    menu = window.menuBar().addMenu("&File")
    for text, shortcut, slot in (
        ("&New conversation", QKeySequence.StandardKey.New, do.new_conversation),
        ("&Remember…", QKeySequence("Ctrl+Shift+M"), do.remember),
        ("&Quick capture…", QKeySequence("Ctrl+Shift+Space"), do.quick_capture),
        ("&Search conversations…", QKeySequence.StandardKey.Find, do.search),
        ("Re&generate last reply", QKeySequence("Ctrl+R"), do.regenerate),
        ("&Export memory…", QKeySequence("Ctrl+E"), do.export),
        ("&Import…", QKeySequence("Ctrl+I"), do.import_),
        ("Import a &folder of notes…", QKeySequence(), do.import_notes_folder),
        ("Restore from &backup…", QKeySequence(), do.restore_backup),
        ("&Models…", QKeySequence("Ctrl+Shift+L"), do.models),
        ("S&ettings…", QKeySequence("Ctrl+,"), do.settings),
        ("&Quit", QKeySequence.StandardKey.Quit, do.quit),
    ):
        _add(window, menu, text, shortcut, slot)

    menu = window.menuBar().addMenu("&Memory")
    pause_action = QAction("&Pause memory (incognito)", window, checkable=True)
    pause_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
    pause_action.toggled.connect(do.set_paused)
    menu.addAction(pause_action)
    for text, shortcut, slot in (
        ("&Browse memories…", QKeySequence("Ctrl+B"), do.browse_memories),
        ("People && &things…", QKeySequence("Ctrl+Shift+E"), do.people),
        ("&Consolidate now", QKeySequence("Ctrl+Shift+K"), do.consolidate),
        ("&Persona and summaries…", QKeySequence("Ctrl+P"), do.persona),
        ("&Forget everything about…", QKeySequence("Ctrl+Shift+F"), do.forget_about),
        ("&Audit log…", QKeySequence("Ctrl+Shift+A"), do.audit),
        ("Connected a&pps…", QKeySequence("Ctrl+Shift+O"), do.connected_apps),
    ):
        _add(window, menu, text, shortcut, slot)

    menu = window.menuBar().addMenu("&Help")
    _add(window, menu, "&Keyboard shortcuts…", QKeySequence("F1"), do.shortcuts)
    return pause_action


def _add(
    window: QMainWindow,
    menu: QMenu,
    text: str,
    shortcut: QKeySequence | QKeySequence.StandardKey,
    slot: Do,
) -> None:
    action = QAction(text, window)
    action.setShortcut(shortcut)
    action.triggered.connect(lambda *_: slot())  # ignore `checked`: the slots take no argument
    menu.addAction(action)

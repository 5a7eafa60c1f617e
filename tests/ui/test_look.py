"""What the window looks like and says: themes, message cards, empty states, shortcuts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCharts import QChart
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.config import UIConfig
from ui.browser.forgetting_chart import ForgettingChart
from ui.browser.memory_browser import MemoryBrowser
from ui.chat import cards
from ui.dialogs.shortcuts_dialog import ShortcutsDialog, menu_shortcuts
from ui.shell.main_window import MainWindow
from ui.theme import apply as theme
from ui.theme.palette import DARK, LIGHT

README = Path(__file__).resolve().parents[2] / "README.md"
REPLY = """Try this:

```python
print("hi")
```

| a | b |
|---|---|
| 1 | 2 |

- one
- two

[docs](https://example.org)"""


def _set_theme(window: MainWindow, qtbot: QtBot, mode: str) -> None:
    config = window.runtime.config
    window.settings_requested.emit(
        config.model_copy(
            update={"ui": UIConfig(close_to_tray=config.ui.close_to_tray, theme=mode)}
        )
    )
    qtbot.waitUntil(lambda: window.runtime.config.ui.theme == mode, timeout=30_000)
    qtbot.waitUntil(lambda: theme.current().scheme == ("dark" if mode == "dark" else "light"))


def test_the_dark_setting_turns_window_cards_and_charts_dark_and_back(
    window: MainWindow, qtbot: QtBot
) -> None:
    _set_theme(window, qtbot, "dark")
    try:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        assert app.palette().color(app.palette().ColorRole.Window) == QColor(DARK.window)
        assert DARK.assistant_card in _cards_html(window) or window.chat.messages == []
        chart = ForgettingChart()
        qtbot.addWidget(chart)
        assert chart.chart().backgroundBrush().color() == QColor(DARK.surface)
    finally:
        _set_theme(window, qtbot, "light")
    assert app.palette().color(app.palette().ColorRole.Window) == QColor(LIGHT.window)


def _cards_html(window: MainWindow) -> str:
    return window.chat.transcript.toHtml()


def test_a_reply_renders_as_a_card_with_code_table_list_and_a_copy_code_link(
    window: MainWindow, qtbot: QtBot
) -> None:
    runtime = window.runtime
    chat = runtime.chat.new_conversation("markdown")
    now = runtime.clock.now()
    runtime.store.add_message(chat.id, "user", "show me", now)
    reply = runtime.store.add_message(chat.id, "assistant", REPLY, now)
    window.chat.open_conversation(chat.id)
    qtbot.waitUntil(lambda: "Try this" in window.chat.transcript.toPlainText())
    text = window.chat.transcript.toPlainText()
    assert 'print("hi")' in text and "one" in text and "docs" in text
    html = window.chat.transcript.toHtml()
    assert LIGHT.user_card in html and LIGHT.code_bg in html  # the cards and the code block
    assert f"{cards.COPY_CODE}:{reply.id}:0" in html
    assert not window.chat.transcript.empty.isVisible()
    window.chat.transcript.anchorClicked.emit(QUrl(f"{cards.COPY_CODE}:{reply.id}:0"))
    assert QApplication.clipboard().text() == 'print("hi")'


def test_blank_panes_say_what_to_do(window: MainWindow) -> None:
    assert window.chat.transcript.empty.isVisible()
    assert "Start a conversation" in window.chat.transcript.empty.text()
    assert window.chat.memory_empty.isVisible()
    assert "No conversations yet" in window.conversations.empty.text()
    assert window.conversations.empty.isVisible()


def test_the_empty_forgetting_chart_has_no_dates_to_repeat(qtbot: QtBot) -> None:
    chart = ForgettingChart()
    qtbot.addWidget(chart)
    [x] = chart.chart().axes(Qt.Orientation.Horizontal)
    assert not x.labelsVisible()
    assert "Select a memory" in chart.chart().title()
    assert isinstance(chart.chart(), QChart)


@pytest.mark.parametrize("which", ["browser", "models"])
def test_esc_closes_the_memory_browser_and_the_models_window(
    window: MainWindow, qtbot: QtBot, which: str
) -> None:
    from ui.dialogs.models_dialog import ModelsDialog

    if which == "browser":
        window.dialogs.show_memory_browser()
    else:
        window.dialogs.show_models()
    browser = window.dialogs.get(MemoryBrowser if which == "browser" else ModelsDialog)
    assert browser is not None
    qtbot.waitExposed(browser)
    browser.activateWindow()
    qtbot.waitActive(browser)
    qtbot.keyClick(browser, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not browser.isVisible())


def test_every_menu_shortcut_is_in_help_and_in_the_readme(window: MainWindow) -> None:
    shortcuts = menu_shortcuts(window)
    keys = {k for k, _ in shortcuts}
    assert {"Ctrl+Shift+O", "Ctrl+B", "F1", "Ctrl+Shift+L"} <= keys
    dialog = ShortcutsDialog(window)
    shown = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    assert keys <= shown
    readme = README.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s*\|\s*([^|]+?)\s*\|", readme, re.M))
    assert keys <= listed, sorted(keys - listed)
    dialog.close()


def test_a_streaming_reply_changes_only_its_own_card(qtbot: QtBot) -> None:
    from datetime import UTC, datetime

    from memory.records import Message
    from ui.chat.transcript_view import TranscriptView

    view = TranscriptView()
    qtbot.addWidget(view)
    t0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    earlier = [Message(1, 1, "user", "first", t0), Message(2, 1, "assistant", REPLY, t0)]
    view.show_messages([*earlier, Message(3, 1, "user", "next", t0)], "", can_regenerate=True)
    start = view.stream_start
    assert start is not None and "typing" in view.document().toPlainText()[start:]
    before = view.document().toPlainText()[:start]
    changes: list[int] = []
    view.document().contentsChange.connect(lambda position, _r, _a: changes.append(position))
    for partial in ("Hel", "Hello **wor", "Hello **world**, and more"):
        view.show_streaming(partial)
    assert changes and min(changes) >= start  # nothing above the reply's card was touched
    assert view.document().toPlainText().startswith(before)
    assert "Hello world, and more" in view.toPlainText()


def test_following_the_system_switches_with_the_desktop_unless_a_theme_is_chosen(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QWidget

    from ui.theme.apply import ThemeFollower, apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    owner = QWidget()
    qtbot.addWidget(owner)  # the follower goes (and lets go of the signal) with it
    follower = ThemeFollower(app, "system", owner)
    hints = QGuiApplication.styleHints()
    try:
        monkeypatch.setattr(theme, "system_scheme", lambda: "dark")
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # the desktop went dark
        assert follower.palette.scheme == "dark" and theme.current().scheme == "dark"
        follower.set_mode("light")  # the user chose light: the desktop no longer decides
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert follower.palette.scheme == "light"  # (other tests' windows may still follow)
    finally:
        apply_theme(app, "light")

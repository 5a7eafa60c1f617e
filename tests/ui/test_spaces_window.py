"""Spaces in the window: a conversation started in `work` recalls no personal memory and its
turns are remembered in `work`; the browser filters by space."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from ui.browser.memory_browser import MemoryBrowser
from ui.browser.memory_model import ROLE_ID
from ui.shell.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.model]


def test_a_work_conversation_and_the_space_filter(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    home = runtime.curation.remember("My cat is called Miso")
    window.conversations.space_picker.setCurrentText("work")
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000) as shown:
        window.chat.send("What is my cat called?")
    assert home.id not in {r.memory.id for r in shown.args[0].used}
    conversation = runtime.chat.conversations()[0]
    assert conversation.space == "work"
    turn = next(m for m in runtime.curation.memories() if m.kind == "turn")
    assert turn.space == "work"
    qtbot.waitUntil(
        lambda: (
            window.conversations.conversation_list.count() > 0
            and "· work" in window.conversations.conversation_list.item(0).text()
        )
    )

    window.conversations.new_conversation()
    window.conversations.space_picker.setCurrentText("personal")
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000) as again:
        window.chat.send("What is my cat called?")
    used = {r.memory.id for r in again.args[0].used}
    assert home.id in used and turn.id not in used

    browser = MemoryBrowser(runtime.curation, runtime.privacy, window.tasks)
    qtbot.addWidget(browser)
    browser.refresh()
    qtbot.waitUntil(lambda: browser.space_combo.findData("work") >= 0)
    browser.space_combo.setCurrentIndex(browser.space_combo.findData("work"))
    shown_ids = {browser.proxy.index(r, 0).data(ROLE_ID) for r in range(browser.proxy.rowCount())}
    assert turn.id in shown_ids and home.id not in shown_ids

"""Chat window extras, driven like a user: memory chips, copy, remember, regenerate, search."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from memory.records import Kind
from ui.browser.memory_browser import MemoryBrowser
from ui.chat import transcript
from ui.dialogs.search_dialog import SearchDialog
from ui.shell.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.model]


def links(window: MainWindow) -> list[str]:
    import re

    return re.findall(r'href="([^"]+)"', window.chat.transcript.toHtml())


def test_memory_chips_under_a_reply_open_the_memory_in_the_browser(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    miso = runtime.curation.remember("My cat is called Miso")
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000):
        window.chat.send("What is my cat called?")
    chip = f"{transcript.MEMORY}:{miso.id}"
    assert chip in links(window)
    window.chat.transcript.anchorClicked.emit(QUrl(chip))  # what a click on the chip does
    browser = window.dialogs.get(MemoryBrowser)
    assert browser is not None and browser.isVisible()
    qtbot.waitUntil(lambda: browser.selected_ids() == [miso.id], timeout=10_000)
    # The detail loads off the GUI thread once the row is selected.
    qtbot.waitUntil(lambda: "Miso" in browser.detail.toPlainText(), timeout=10_000)
    # The used-memories panel opens the same way (double-click / Enter on an item).
    browser.table.clearSelection()
    window.chat.memory_panel.itemActivated.emit(window.chat.memory_panel.item(0))
    qtbot.waitUntil(lambda: browser.selected_ids() == [miso.id], timeout=10_000)


def test_copy_and_remember_this_on_a_message(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000) as shown:
        window.chat.send("My favourite tea is genmaicha.")
    reply = shown.args[0].message
    user = window.chat.messages[0]
    assert f"{transcript.COPY}:{reply.id}" in links(window)

    window.chat.transcript.anchorClicked.emit(QUrl(f"{transcript.COPY}:{reply.id}"))
    assert QApplication.clipboard().text() == reply.text

    with qtbot.waitSignal(window.chat.memory_remembered, timeout=30_000) as remembered:
        window.chat.transcript.anchorClicked.emit(QUrl(f"{transcript.REMEMBER}:{user.id}"))
    note = remembered.args[0]
    assert note.kind is Kind.NOTE and note.text == "My favourite tea is genmaicha."
    assert runtime.curation.memory(note.id).source_message_ids == (user.id,)
    assert "Remembered" in window.status_label.text()


def test_regenerate_replaces_the_last_reply(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000):
        window.chat.send("Say hello to me.")
    cid = window.chat.conversation_id
    assert f"{transcript.REGENERATE}:{window.chat.messages[-1].id}" in links(window)
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000) as again:
        window.chat.transcript.anchorClicked.emit(
            QUrl(f"{transcript.REGENERATE}:{window.chat.messages[-1].id}")
        )
    stored = runtime.chat.messages(cid)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[-1].text == again.args[0].message.text
    assert [m.role for m in window.chat.messages] == ["user", "assistant"]
    assert window.chat.transcript.toPlainText().count("Say hello to me.") == 1


def test_search_across_conversations_opens_the_one_found(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    first = runtime.chat.new_conversation("Garden")
    runtime.store.add_message(first.id, "user", "The tomatoes need staking", runtime.clock.now())
    second = runtime.chat.new_conversation("Travel")
    runtime.store.add_message(second.id, "user", "Book the ferry to Naxos", runtime.clock.now())
    window.refresh_conversations()
    qtbot.waitUntil(lambda: window.conversations.conversation_list.count() == 2)

    window.dialogs.show_search()
    dialog = window.dialogs.get(SearchDialog)
    assert dialog is not None and dialog.isVisible()
    with qtbot.waitSignal(dialog.searched, timeout=10_000) as searched:
        qtbot.keyClicks(dialog.query, "tomato")
    assert searched.args == [1]
    assert "Garden" in dialog.results.item(0).text()
    assert "[tomatoes]" in dialog.results.item(0).text()
    dialog.results.itemActivated.emit(dialog.results.item(0))
    qtbot.waitUntil(lambda: "staking" in window.chat.transcript.toPlainText(), timeout=10_000)
    assert window.chat.conversation_id == first.id

"""The memory card: under a reply that missed what a used memory says, the window shows that
memory as a correction ("I may be wrong — from your memory, <date>: …"), for a live reply and for
a conversation reopened later; a click on it opens the memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from app.services.events import ReplyEvent
from memory.records import Recalled
from tests.conftest import ARTIFACTS
from tests.ui.test_screenshot import run_app, xvfb_display  # noqa: F401 - a fixture
from ui.shell.main_window import MainWindow

# A reply the bundled model gave with the answer in its prompt (MEASURED.md, issue 14).
PARROTED = (
    "I'm sorry for any confusion, but as a personal assistant, I'm not equipped to know where "
    "your sister lives."
)


def store_exchange(runtime: Runtime, question: str, reply: str, memory_text: str) -> int:
    """A stored conversation whose reply used `memory_text` (as `send` records it)."""
    memory = runtime.curation.remember(memory_text)
    conversation = runtime.chat.new_conversation(question)
    now = runtime.clock.now()
    runtime.store.add_message(conversation.id, "user", question, now)
    answer = runtime.store.add_message(conversation.id, "assistant", reply, now)
    with runtime.host.lease() as models:
        models.require_bank().strengthen([Recalled(memory, 1.0, 0.9, 1.0)], now, answer.id)
    return conversation.id


def test_a_reopened_refusal_shows_the_memory_that_answers(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    store_exchange(runtime, "Where does my sister live?", PARROTED, "My sister Ana lives in Lisbon")
    store_exchange(runtime, "What is my cat called?", "Your cat is called Miso.", "My cat is Miso")
    window.refresh_conversations()
    qtbot.waitUntil(lambda: window.conversations.conversation_list.count() == 2)
    day = runtime.clock.now().strftime("%-d %B %Y")
    for row in range(2):
        title = window.conversations.conversation_list.item(row).text()
        window.conversations.conversation_list.setCurrentRow(row)
        qtbot.waitUntil(lambda t=title: t in window.chat.transcript.toPlainText())
        text = window.chat.transcript.toPlainText()
        if "sister" in title:
            assert (
                f"I may be wrong — from your memory, {day}: My sister Ana lives in Lisbon" in text
            )
        else:  # the reply used its memory: no card
            assert "Miso" in text and "I may be wrong" not in text


def card_link(document: QTextDocument) -> str:
    """The link under the card's words ("from your memory, <date>: …") in the transcript."""
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if "from your memory" in fragment.text() and fragment.charFormat().isAnchor():
                return str(fragment.charFormat().anchorHref())
            it += 1
        block = block.next()
    return ""


def test_one_click_on_the_card_opens_its_memory(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    store_exchange(runtime, "Where does my sister live?", PARROTED, "My sister Ana lives in Lisbon")
    window.refresh_conversations()
    qtbot.waitUntil(lambda: window.conversations.conversation_list.count() == 1)
    window.conversations.conversation_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: "I may be wrong" in window.chat.transcript.toPlainText())
    href = card_link(window.chat.transcript.document())
    assert href.startswith("memory:"), window.chat.transcript.toMarkdown()
    memory = runtime.curation.search("sister Ana Lisbon", 1)[0].memory
    assert href == f"memory:{memory.id}"
    with qtbot.waitSignal(window.chat.memory_open_requested) as opened:
        window.chat.transcript.anchorClicked.emit(QUrl(href))
    assert opened.args == [memory.id]


def test_a_live_reply_shows_the_card_exactly_when_the_check_flags_it(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    runtime.curation.remember("My sister Ana lives in Lisbon")
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000) as shown:
        window.chat.send("Where does my sister live?")
    event = shown.args[0]
    assert isinstance(event, ReplyEvent) and event.check is not None
    qtbot.waitUntil(lambda: event.message.text[:15] in window.chat.transcript.toPlainText())
    text = window.chat.transcript.toPlainText()
    assert ("I may be wrong — from your memory" in text) == event.check.flagged, (
        event.message.text,
        text,
    )


@pytest.mark.slow
def test_memory_card_screenshot_under_xvfb(xvfb_display: str, tmp_path: Path) -> None:  # noqa: F811
    """The card under a real reply of the bundled model, drawn on a real X server (the README's
    docs/screenshots/memory-card.png is this file)."""
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "memory_card.png"
    printed = run_app(
        "tests.ui.memory_card_screenshot_app", xvfb_display, str(out), str(tmp_path / "data")
    )
    assert (
        "I may be wrong — from your memory, " in printed
        and "My sister Ana lives in Lisbon" in printed
    )
    image = QImage(str(out))
    assert image.width() >= 800 and image.height() >= 500

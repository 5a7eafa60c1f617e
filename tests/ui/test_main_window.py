"""The main window driven like a user would, with the real models (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime, open_runtime
from tests.realmodels import ready_runtime
from ui.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.model]


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with ready_runtime(tmp_path / "data") as rt:
        yield rt


@pytest.fixture
def window(qtbot: QtBot, runtime: Runtime) -> Iterator[MainWindow]:
    w = MainWindow(runtime)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.models_ready, timeout=10_000)
    yield w
    w.close()  # stops the worker thread before the runtime closes the store


def test_enter_sends_tokens_stream_and_used_memories_fill(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    runtime.service.remember("My cat is called Miso")
    tokens: list[str] = []
    window.token_shown.connect(tokens.append)
    qtbot.keyClicks(window.input, "What is my cat called?")
    with qtbot.waitSignal(window.reply_shown, timeout=180_000) as finished:
        qtbot.keyClick(window.input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(tokens) >= 2, timeout=30_000)
        # While streaming: the partial reply is on screen and Stop is offered.
        qtbot.waitUntil(lambda: "typing" in window.transcript.toPlainText(), timeout=5_000)
        assert window.stop_button.isEnabled()
    event = finished.args[0]
    assert len(tokens) >= 2 and event.message.text == "".join(tokens).strip()
    assert window.input.toPlainText() == ""
    assert "What is my cat called?" in window.transcript.toPlainText()
    qtbot.waitUntil(lambda: event.message.text[:20] in window.transcript.toPlainText())
    panel = [window.memory_panel.item(i).text() for i in range(window.memory_panel.count())]
    assert any("Miso" in text for text in panel), panel
    assert window.send_button.isEnabled() and not window.stop_button.isEnabled()
    # The new conversation is listed under its first message.
    qtbot.waitUntil(lambda: window.conversation_list.count() == 1)
    assert window.conversation_list.item(0).text() == "What is my cat called?"


def test_shift_enter_makes_a_new_line_instead_of_sending(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClicks(window.input, "first line")
    qtbot.keyClick(window.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.input, "second line")
    assert window.input.toPlainText() == "first line\nsecond line"
    assert window.streaming is None


def test_stop_ends_the_reply_early(qtbot: QtBot, window: MainWindow) -> None:
    tokens: list[str] = []
    window.token_shown.connect(tokens.append)
    with qtbot.waitSignal(window.reply_shown, timeout=180_000) as finished:
        window.send("Write a very long story about a dragon and a knight.")
        qtbot.waitUntil(lambda: len(tokens) >= 2, timeout=30_000)
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    event = finished.args[0]
    assert event.stopped
    assert len(tokens) < 40
    assert window.status_label.text() == "Stopped."


def test_selecting_an_old_conversation_shows_its_messages(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    with qtbot.waitSignal(window.reply_shown, timeout=180_000):
        window.send("I am learning to play the cello.")
    window.new_conversation()
    assert window.transcript.toPlainText() == ""
    qtbot.waitUntil(lambda: window.conversation_list.count() == 1)
    window.conversation_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: "cello" in window.transcript.toPlainText())


def test_window_appears_before_models_load_and_then_becomes_ready(
    qtbot: QtBot, tmp_path: Path
) -> None:
    runtime = open_runtime(str(tmp_path / "data"))
    try:
        w = MainWindow(runtime)
        qtbot.addWidget(w)
        w.show()
        assert w.isVisible() and not w.send_button.isEnabled()
        qtbot.waitUntil(lambda: w.models_ready, timeout=180_000)
        assert w.send_button.isEnabled()
        assert w.status_label.text().startswith("Ready")
        w.close()
    finally:
        runtime.close()


def test_consolidate_now_then_the_persona_view_shows_what_was_distilled(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    from memory.hierarchy import HierarchyStore

    with qtbot.waitSignal(window.reply_shown, timeout=180_000):
        window.send("I live in Paris and I work as a nurse.")
    window.consolidate_now()
    assert "once the models are loaded" in window.status_label.text()  # no scheduler yet

    runtime.start_scheduler()
    runs = HierarchyStore(runtime.store)
    qtbot.waitUntil(lambda: any(r.status == "ok" for r in runs.job_runs("daily")), timeout=120_000)
    window.consolidate_now()  # a second, explicit run
    assert window.status_label.text() == "Consolidating in the background…"
    qtbot.waitUntil(
        lambda: sum(r.status == "ok" for r in runs.job_runs("daily")) >= 2, timeout=120_000
    )
    window.show_persona()
    qtbot.waitUntil(lambda: getattr(window, "persona_dialog", None) is not None)
    dialog = window.persona_dialog
    assert dialog.isVisible()
    shown = dialog.browser.toPlainText()
    summary = runtime.service.overview().summary
    assert summary is not None and summary.text[:30] in shown
    assert "Facts" in shown and "Days" in shown
    dialog.close()

"""The main window driven like a user would, with the real models (offscreen)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime, open_runtime
from tests.conftest import ExpectWarnings
from tests.realmodels import ready_runtime
from ui.dialogs.persona_dialog import PersonaDialog
from ui.dialogs.privacy_dialogs import AuditDialog, ForgetAboutDialog
from ui.shell.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.model]


def test_enter_sends_tokens_stream_and_used_memories_fill(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    runtime.curation.remember("My cat is called Miso")
    tokens: list[str] = []
    window.chat.token_shown.connect(tokens.append)
    qtbot.keyClicks(window.chat.input, "What is my cat called?")
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000) as finished:
        qtbot.keyClick(window.chat.input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(tokens) >= 2, timeout=30_000)
        # While streaming: the partial reply is on screen and Stop is offered.
        qtbot.waitUntil(lambda: "typing" in window.chat.transcript.toPlainText(), timeout=5_000)
        assert window.chat.stop_button.isEnabled()
    event = finished.args[0]
    assert len(tokens) >= 2 and event.message.text == "".join(tokens).strip()
    assert window.chat.input.toPlainText() == ""
    assert "What is my cat called?" in window.chat.transcript.toPlainText()
    qtbot.waitUntil(lambda: event.message.text[:20] in window.chat.transcript.toPlainText())
    panel = [
        window.chat.memory_panel.item(i).text() for i in range(window.chat.memory_panel.count())
    ]
    assert any("Miso" in text for text in panel), panel
    assert window.chat.send_button.isEnabled() and not window.chat.stop_button.isEnabled()
    # The new conversation is listed under its first message.
    qtbot.waitUntil(lambda: window.conversations.conversation_list.count() == 1)
    assert window.conversations.conversation_list.item(0).text() == "What is my cat called?"


def test_shift_enter_makes_a_new_line_instead_of_sending(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClicks(window.chat.input, "first line")
    qtbot.keyClick(window.chat.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.chat.input, "second line")
    assert window.chat.input.toPlainText() == "first line\nsecond line"
    assert window.chat.streaming is None


def test_stop_ends_the_reply_early(qtbot: QtBot, window: MainWindow) -> None:
    tokens: list[str] = []
    window.chat.token_shown.connect(tokens.append)
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000) as finished:
        window.chat.send("Write a very long story about a dragon and a knight.")
        qtbot.waitUntil(lambda: len(tokens) >= 2, timeout=30_000)
        qtbot.mouseClick(window.chat.stop_button, Qt.MouseButton.LeftButton)
    event = finished.args[0]
    assert event.stopped
    assert len(tokens) < 40
    assert window.status_label.text() == "Stopped."


def test_selecting_an_old_conversation_shows_its_messages(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000):
        window.chat.send("I am learning to play the cello.")
    window.conversations.new_conversation()
    assert window.chat.transcript.toPlainText() == ""
    qtbot.waitUntil(lambda: window.conversations.conversation_list.count() == 1)
    window.conversations.conversation_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: "cello" in window.chat.transcript.toPlainText())


def test_window_appears_before_models_load_and_then_becomes_ready(
    qtbot: QtBot, tmp_path: Path
) -> None:
    runtime = open_runtime(str(tmp_path / "data"))
    try:
        w = MainWindow(runtime)
        qtbot.addWidget(w)
        w.show()
        assert w.isVisible() and not w.chat.send_button.isEnabled()
        qtbot.waitUntil(lambda: w.models_ready, timeout=180_000)
        assert w.chat.send_button.isEnabled()
        assert w.status_label.text().startswith("Ready")
        w.close()
    finally:
        runtime.close()


def test_consolidate_now_then_the_persona_view_shows_what_was_distilled(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    from memory.consolidation.hierarchy import HierarchyStore

    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000):
        window.chat.send("I live in Paris and I work as a nurse.")
    window.consolidate_now()
    assert "once the models are loaded" in window.status_label.text()  # no scheduler yet

    runtime.start_scheduler()
    runs = HierarchyStore(runtime.store)
    done = ("ok", "partial")  # partial: a model step was skipped, the user's words kept
    qtbot.waitUntil(lambda: any(r.status in done for r in runs.job_runs("daily")), timeout=120_000)
    with qtbot.waitSignal(window.job_finished, timeout=120_000):
        window.consolidate_now()  # a second, explicit run
        assert window.status_label.text() == "Consolidating in the background…"
    # The status bar follows the job: it says how the run ended instead of "Consolidating…".
    qtbot.waitUntil(lambda: window.status_label.text().startswith("Consolidated"), timeout=10_000)
    assert sum(r.status in done for r in runs.job_runs("daily")) >= 2
    window.dialogs.show_persona()
    dialog = window.dialogs.get(PersonaDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() > 0, timeout=10_000)
    assert dialog.isVisible()
    shown = dialog.editor.toPlainText()  # "Everything" is selected first
    summary = runtime.curation.overview().summary
    assert summary is not None and summary.text[:30] in shown
    assert "Facts" in shown and "Days" in shown
    assert "**" not in shown  # the days' dates read as text, not raw markdown
    tops = [dialog.tree.topLevelItem(i) for i in range(dialog.tree.topLevelItemCount())]
    facts = next(t for t in tops if t.text(0).startswith("Facts ("))
    months = [facts.child(i) for i in range(facts.childCount())]
    # Facts sit under the month they were said, the newest month open.
    assert months and all(re.fullmatch(r"[A-Z][a-z]+ \d{4} \(\d+\)", m.text(0)) for m in months)
    assert months[0].isExpanded() and months[0].childCount() >= 1

    # Edit the overall summary: saved, and locked against the next consolidation.
    assert dialog.select(summary.id)
    assert dialog.editor.toPlainText() == summary.text
    # When it was last rebuilt, and from how many memories.
    qtbot.waitUntil(lambda: " memor" in dialog.title.text(), timeout=10_000)
    assert "rebuilt" in dialog.title.text()
    assert not dialog.save_button.isEnabled()
    dialog.editor.setPlainText("Works as a nurse in Paris; likes quiet evenings.")
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    stored = runtime.curation.memory(summary.id)
    assert stored.text == "Works as a nurse in Paris; likes quiet evenings." and stored.locked
    qtbot.waitUntil(lambda: dialog.lock_button.text() == "Unlock", timeout=10_000)
    window.consolidate_now()  # a locked entry survives consolidation unchanged
    qtbot.waitUntil(
        lambda: sum(r.status in done for r in runs.job_runs("daily")) >= 3, timeout=120_000
    )
    assert runtime.curation.memory(summary.id).text == stored.text
    # Unlock hands it back to consolidation.
    with qtbot.waitSignal(dialog.lock_changed, timeout=10_000) as changed:
        qtbot.mouseClick(dialog.lock_button, Qt.MouseButton.LeftButton)
    assert not changed.args[0].locked and not runtime.curation.memory(summary.id).locked
    dialog.close()


def test_rename_and_delete_a_conversation(
    qtbot: QtBot, runtime: Runtime, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    runtime.chat.new_conversation("Holiday plans")
    window.refresh_conversations()
    qtbot.waitUntil(lambda: window.conversations.conversation_list.count() == 1)
    window.conversations.conversation_list.setCurrentRow(0)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Trip to Lisbon", True))
    window.conversations.rename_conversation()
    qtbot.waitUntil(
        lambda: window.conversations.conversation_list.item(0).text() == "Trip to Lisbon"
    )
    assert [c.title for c in runtime.chat.conversations()] == ["Trip to Lisbon"]

    window.conversations.conversation_list.setCurrentRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.conversations.delete_conversation()
    qtbot.waitUntil(lambda: window.conversations.conversation_list.count() == 0)
    assert runtime.chat.conversations() == []


def test_a_missing_model_is_explained_in_a_dialog(
    qtbot: QtBot, tmp_path: Path, expect_warnings: ExpectWarnings
) -> None:
    from PySide6.QtWidgets import QMessageBox

    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text('[llm]\nmodel_path = "/models/gone.gguf"\n')
    runtime = open_runtime(str(data))
    try:
        with expect_warnings("Model loading failed: .*gone.gguf", logger="ui.chat.worker"):
            w = MainWindow(runtime)
            qtbot.addWidget(w)
            w.show()
            qtbot.waitUntil(
                lambda: w.findChild(QMessageBox, "errorDialog") is not None, timeout=180_000
            )
        box = w.findChild(QMessageBox, "errorDialog")
        assert "/models/gone.gguf" in box.text() and "does not exist" in box.text()
        assert box.windowTitle() == "Model could not be loaded"
        assert not w.chat.send_button.isEnabled()
        box.close()
        w.close()
    finally:
        runtime.close()


def test_a_second_instance_is_told_which_process_holds_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    import ui.__main__ as gui

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "critical", lambda _p, title, text: shown.append((title, text))
    )
    first = open_runtime(str(tmp_path / "data"))
    try:
        assert gui.main(["--data-dir", str(tmp_path / "data")]) == 1
    finally:
        first.close()
    [(title, text)] = shown
    assert title == "membank is already running" and str(os.getpid()) in text


def test_export_then_import_an_encrypted_archive_from_the_window(
    qtbot: QtBot,
    runtime: Runtime,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtWidgets import QInputDialog

    note = runtime.curation.remember("My passport number ends in 4471")
    archive = tmp_path / "out" / "memory.membank"
    archive.parent.mkdir()
    window.archive.export(str(archive), passphrase="correct horse")
    qtbot.waitUntil(lambda: window.status_label.text().startswith("Exported"), timeout=60_000)
    assert archive.exists() and not window.archive.progress

    with ready_runtime(tmp_path / "other") as other:
        second = MainWindow(other)
        qtbot.addWidget(second)
        asked: list[str] = []

        def passphrase(*args: object, **kwargs: object) -> tuple[str, bool]:
            asked.append(str(args[2]))
            return "correct horse", True

        monkeypatch.setattr(QInputDialog, "getText", passphrase)
        second.archive.import_(str(archive), "merge")
        qtbot.waitUntil(lambda: second.status_label.text().startswith("Imported"), timeout=60_000)
        assert asked == ["Passphrase:"]  # asked only because the archive is encrypted
        assert other.curation.memory(note.id).text == note.text
        assert other.curation.search("passport number")[0].memory.id == note.id
        second.close()


def test_forget_everything_about_a_topic_then_see_it_in_the_audit_log(
    qtbot: QtBot, runtime: Runtime, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    secret = runtime.curation.remember("My old flat was at 12 Elm Street in Leeds")
    kept = runtime.curation.remember("I play the cello on Sundays")
    window.dialogs.show_forget_about()
    dialog = window.dialogs.get(ForgetAboutDialog)
    qtbot.keyClicks(dialog.query, "Elm Street flat")
    qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.results.count() > 0, timeout=30_000)
    ids = dialog.checked_ids()
    assert secret.id in ids
    # The user reviews the list and unticks what should stay.
    for i in range(dialog.results.count()):
        if dialog.results.item(i).data(0x0100) != secret.id:
            dialog.results.item(i).setCheckState(Qt.CheckState.Unchecked)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.confirm_and_forget()
    qtbot.waitUntil(
        lambda: dialog.status.text().startswith("Forgotten: 1 memories"), timeout=30_000
    )
    assert secret.id not in runtime.store.all_memory_ids()
    assert secret.id not in runtime.host.models.bank.index.ids()  # type: ignore[union-attr]
    assert kept.id in runtime.store.all_memory_ids()
    dialog.close()

    window.dialogs.show_audit()
    qtbot.waitUntil(lambda: window.dialogs.get(AuditDialog) is not None)
    table = window.dialogs.get(AuditDialog).table
    events = {(table.item(r, 1).text(), table.item(r, 3).text()) for r in range(table.rowCount())}
    assert ("forgotten", secret.id[:8]) in events
    assert all("Elm" not in table.item(r, 4).text() for r in range(table.rowCount()))
    window.dialogs.get(AuditDialog).close()


def test_memory_paused_chat_uses_memories_but_stores_nothing(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    runtime.curation.remember("My cat is called Miso")
    before = (runtime.store.count_memories(), len(runtime.chat.conversations()))
    window.pause_action.trigger()
    assert window.chat.paused and window.paused_label.isVisible()
    assert not window.conversations.conversation_list.isEnabled()
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000) as shown:
        window.chat.send("What is my cat called?")
    event = shown.args[0]
    assert any("Miso" in m.text for m in event.message.used_memories)  # memories are read
    assert "What is my cat called?" in window.chat.transcript.toPlainText()
    assert (runtime.store.count_memories(), len(runtime.chat.conversations())) == before
    assert runtime.store.memory(event.used[0].memory.id).recall_count == 0  # not strengthened

    window.pause_action.trigger()  # back to normal: a fresh, stored conversation
    assert not window.chat.paused and not window.paused_label.isVisible()
    assert window.chat.transcript.toPlainText() == ""
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000):
        window.chat.send("I am learning the cello.")
    assert len(runtime.chat.conversations()) == before[1] + 1


def test_import_a_folder_of_notes_from_the_window(
    qtbot: QtBot, runtime: Runtime, window: MainWindow, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "garden.md").write_text("Plant the tulip bulbs before December.\n")
    (notes / "wifi.txt").write_text("The cabin wifi password is on the fridge.\n")
    window.archive.import_notes_folder(str(notes))
    qtbot.waitUntil(lambda: window.status_label.text().startswith("Imported"), timeout=60_000)
    found = runtime.curation.search("when to plant tulips")
    assert found and "tulip" in found[0].memory.text
    assert sum(m.kind == "note" for m in runtime.curation.memories()) == 2

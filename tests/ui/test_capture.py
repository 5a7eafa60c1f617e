"""Quick capture, the hand-over from a second launch, and life without a system tray."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime, open_runtime
from memory.records import Kind
from ui.dialogs.quick_capture import QuickCaptureDialog
from ui.shell.main_window import MainWindow
from ui.shell.single_instance import InstanceServer, send_to_running

pytestmark = [pytest.mark.gui, pytest.mark.model]


def test_enter_stores_a_note_at_once_and_esc_cancels(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    window.quick_capture()
    box = window.dialogs.get(QuickCaptureDialog)
    assert box is not None and box.isVisible()
    assert box.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    qtbot.keyClicks(box.edit, "Dentist on Friday at 10")
    with qtbot.waitSignal(box.stored, timeout=30_000) as stored:
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    note = stored.args[0]
    assert (
        note.kind is Kind.NOTE
        and runtime.curation.memory(note.id).text == "Dentist on Friday at 10"
    )
    assert box.status.text() == "Remembered ✓"
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=5_000)
    assert runtime.curation.search("when is the dentist")[0].memory.id == note.id  # indexed

    window.quick_capture()
    qtbot.keyClicks(box.edit, "never mind")
    qtbot.keyClick(box.edit, Qt.Key.Key_Escape)
    assert not box.isVisible()
    assert [m.text for m in runtime.curation.memories() if m.kind is Kind.NOTE] == [
        "Dentist on Friday at 10"
    ]


def test_capture_works_while_the_models_are_still_loading(qtbot: QtBot, tmp_path: Path) -> None:
    runtime = open_runtime(str(tmp_path / "data"))
    try:
        note = runtime.curation.capture("Buy oat milk")  # no embedder yet: committed, unindexed
        assert runtime.store.unindexed()[0].id == note.id
        w = MainWindow(runtime)
        qtbot.addWidget(w)
        qtbot.waitUntil(lambda: w.models_ready, timeout=180_000)
        # Indexed once the models loaded (the scheduler's first run may still be writing its
        # summaries, each indexed as the run ends).
        qtbot.waitUntil(lambda: runtime.store.unindexed() == [], timeout=120_000)
        assert runtime.curation.search("oat milk")[0].memory.id == note.id
        w.close()
    finally:
        runtime.close()


def test_a_second_launch_hands_capture_to_the_running_window(
    qtbot: QtBot, runtime: Runtime, window: MainWindow
) -> None:
    import ui.__main__ as gui

    server = InstanceServer(runtime.paths.data_dir, window.handle_request)
    try:
        assert server.listening
        # `membank --capture` while this instance holds the folder: handed over, exit 0.
        assert gui.main(["--data-dir", str(runtime.paths.data_dir), "--capture"]) == 0
        qtbot.waitUntil(
            lambda: (
                window.dialogs.get(QuickCaptureDialog) is not None
                and window.dialogs.get(QuickCaptureDialog).isVisible()
            )
        )
        window.dialogs.get(QuickCaptureDialog).hide()
        window.hide()
        assert send_to_running(runtime.paths.data_dir, "show")
        qtbot.waitUntil(window.isVisible)
    finally:
        server.close()
    assert not send_to_running(runtime.paths.data_dir, "show")  # nobody listens any more


def test_without_a_tray_everything_stays_in_the_window(window: MainWindow) -> None:
    assert window.install_tray() is False  # offscreen: no system tray
    assert window.tray is None
    window.close()  # close really closes (nothing would be left to reopen it)
    assert not window.isVisible()

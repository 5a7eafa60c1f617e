"""The settings dialog, driven like a user: memory settings, a model switch, a bad model file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime, load_llm, open_bank, open_runtime
from app.config import load_config
from models.hub.discovery import bundled_chat_model_path
from tests.conftest import ExpectWarnings
from tests.realmodels import shared_embedder
from ui.dialogs.settings_dialog import SettingsDialog
from ui.shell.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.model]


@pytest.fixture
def own(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[Runtime, MainWindow]]:
    """A window whose runtime has its own chat model: switching closes the old one."""
    rt = open_runtime(str(tmp_path / "data"))
    bank = open_bank(rt, shared_embedder())
    bank.reconcile()
    rt.host.attach(bank, load_llm(rt.config))
    window = MainWindow(rt)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.models_ready, timeout=10_000)
    yield rt, window
    window.close()
    rt.close()


def test_memory_settings_apply_and_are_saved(qtbot: QtBot, own: tuple[Runtime, MainWindow]) -> None:
    runtime, window = own
    window.dialogs.show_settings()
    dialog = window.dialogs.get(SettingsDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.recall_k.value() == 6 and dialog.model_path.value() == ""
    assert "GPU" in dialog.offload_label.text()
    dialog.recall_k.setValue(3)
    dialog.fade_threshold.setValue(0.1)
    dialog.close_to_tray.setChecked(False)
    with qtbot.waitSignal(dialog.finished_applying, timeout=30_000) as done:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert "memory and forgetting-curve settings" in done.args[0].now
    assert runtime.config.memory.recall_k == 3 and not runtime.config.ui.close_to_tray
    bank = runtime.host.models.bank
    assert bank is not None and bank.retriever.settings.k == 3
    saved = load_config(runtime.paths.config_file)
    assert saved.memory.fade_threshold == 0.1 and saved.llm == runtime.config.llm
    assert "Applied" in dialog.message.text()


def test_choosing_another_gguf_reloads_it_in_the_background(
    qtbot: QtBot, own: tuple[Runtime, MainWindow], tmp_path: Path
) -> None:
    runtime, window = own
    copy = tmp_path / "other-model.gguf"
    shutil.copyfile(bundled_chat_model_path(), copy)
    window.dialogs.show_settings()
    dialog = window.dialogs.get(SettingsDialog)
    assert dialog is not None
    dialog.model_path.edit.setText(str(copy))
    dialog.n_ctx.setValue(2048)
    with qtbot.waitSignal(dialog.finished_applying, timeout=120_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert dialog.progress.isVisible()  # busy while the model loads off the GUI thread
    llm = runtime.host.models.llm
    assert llm is not None and llm.model_id == "other-model.gguf" and llm.context_size == 2048
    assert window.status_label.text() == "Ready · other-model.gguf"
    assert not dialog.isVisible()  # OK closes once applied
    assert load_config(runtime.paths.config_file).llm.model_path == str(copy)
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000):
        window.chat.send("Hello there")  # the new model answers


def test_a_bad_model_file_says_why_and_keeps_the_old_model(
    qtbot: QtBot, own: tuple[Runtime, MainWindow], tmp_path: Path, expect_warnings: ExpectWarnings
) -> None:
    runtime, window = own
    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(bundled_chat_model_path().read_bytes()[:4096])
    old = runtime.host.models.llm
    window.dialogs.show_settings()
    dialog = window.dialogs.get(SettingsDialog)
    assert dialog is not None
    dialog.model_path.edit.setText(str(bad))
    with (
        expect_warnings("Settings not applied: .*truncated.gguf", logger="ui.chat.worker"),
        qtbot.waitSignal(dialog.apply_failed, timeout=60_000) as failed,
    ):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert str(bad) in failed.args[0] and "previous model is still in use" in failed.args[0]
    box = dialog.findChild(QMessageBox, "errorDialog")
    assert box is not None and box.isVisible() and str(bad) in box.text()
    box.close()
    assert runtime.host.models.llm is old
    assert not runtime.paths.config_file.exists()  # nothing saved
    assert dialog.isVisible() and dialog.apply_button.isEnabled()
    with qtbot.waitSignal(window.chat.reply_shown, timeout=180_000):
        window.chat.send("Hello again")  # the old model still answers

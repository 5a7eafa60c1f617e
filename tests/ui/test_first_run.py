"""The first-run page says what is stored, where, and that nothing leaves the machine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import open_runtime
from memory.records import Kind
from ui.__main__ import is_first_run
from ui.dialogs.first_run import WelcomeDialog

pytestmark = pytest.mark.gui


def test_welcome_page_names_the_data_folder_and_promises_no_network(
    qtbot: QtBot, tmp_path: Path
) -> None:
    runtime = open_runtime(str(tmp_path / "data"))
    try:
        assert is_first_run(runtime)
        dialog = WelcomeDialog(runtime.paths, "SmolLM2", "MiniLM")
        qtbot.addWidget(dialog)
        dialog.show()
        text = dialog.browser.toPlainText()
        assert str(runtime.paths.data_dir) in text
        assert "Nothing leaves this machine" in text and "no network connections" in text
        runtime.store.add_memory(Kind.NOTE, "first note", datetime.now(UTC))
        assert not is_first_run(runtime)  # shown only until the first memory exists
    finally:
        runtime.close()


def test_welcome_page_suggests_a_better_model_that_fits(qtbot: QtBot, tmp_path: Path) -> None:
    from models.hub.catalog import load_catalog
    from models.hub.hardware import HardwareInfo
    from models.hub.suggest import suggest_chat_model

    hw = HardwareInfo(8_000_000_000, 3_000_000_000, gpu_offload=False, vram_bytes=None)
    found = suggest_chat_model(load_catalog(), hw)
    assert found is not None
    runtime = open_runtime(str(tmp_path / "data"))
    try:
        dialog = WelcomeDialog(runtime.paths, "SmolLM2", "MiniLM", suggestion=found.text())
        qtbot.addWidget(dialog)
        dialog.show()
        text = dialog.browser.toPlainText()
        assert "A better chat model fits this computer" in text
        assert found.entry.name in text and "GB download" in text
        assert "File → Models" in text
        plain = WelcomeDialog(runtime.paths, "SmolLM2", "MiniLM")
        qtbot.addWidget(plain)
        assert "better chat model" not in plain.browser.toPlainText()
    finally:
        runtime.close()

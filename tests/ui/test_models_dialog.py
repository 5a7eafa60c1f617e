"""The Models window (pytest-qt) with the real bundled models and the loopback hub stand-in:
fit badges, download with progress and Cancel, switching the chat model on the chat worker,
a bad GGUF that leaves the old model in place, and the main window's Models… action."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime, load_llm, open_bank, open_runtime, start_models
from app.config import load_config
from app.engine.model_manager import ModelManager
from app.engine.settings_apply import apply_settings
from models.embedder_backend import backend_model_id
from models.hub.catalog import find_entry, load_catalog
from models.hub.discovery import bundled_chat_model_path
from models.hub.hardware import HardwareInfo
from tests.conftest import ARTIFACTS, ExpectWarnings
from tests.hub_standin import StandInHub
from tests.realmodels import shared_embedder
from ui.chat.worker import ChatWorker
from ui.dialogs.models_dialog import ModelsDialog
from ui.shell.main_window import MainWindow
from ui.tasks import TaskRunner

pytestmark = [pytest.mark.gui, pytest.mark.model]
GB = 1_000_000_000
ENTRY = find_entry(load_catalog(), "qwen2.5-1.5b-instruct")


@dataclass
class Setup:
    runtime: Runtime
    dialog: ModelsDialog
    worker: ChatWorker
    hub: StandInHub


@pytest.fixture
def setup(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    assert ENTRY is not None and ENTRY.filename
    hub = StandInHub()
    hub.add_file(ENTRY.repo_id, ENTRY.filename, bundled_chat_model_path())
    hub.start()
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    runtime = open_runtime(str(tmp_path / "data"))
    runtime.host.attach(open_bank(runtime, shared_embedder()), load_llm(runtime.config))
    thread = QThread()
    hw = HardwareInfo(ram_total=16 * GB, ram_available=6 * GB, gpu_offload=False, vram_bytes=None)
    manager = ModelManager(runtime, hardware=hw)
    worker = ChatWorker(
        runtime.chat,
        manager,
        start_up=partial(start_models, runtime),
        apply=partial(apply_settings, runtime),
    )
    worker.moveToThread(thread)
    thread.start()
    tasks = TaskRunner()
    dialog = ModelsDialog(manager, tasks, worker)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.chat_table.rowCount() > 0, timeout=10_000)
    try:
        yield Setup(runtime, dialog, worker, hub)
    finally:
        dialog.shutdown()
        tasks.shutdown()
        thread.quit()
        thread.wait()
        hub.stop()
        runtime.close()


def _row_of(dialog: ModelsDialog, text: str) -> int:
    table = dialog.chat_table
    for r in range(table.rowCount()):
        if text in table.item(r, 0).text():
            return r
    raise AssertionError(f"no row {text!r}")


def test_lists_fit_badges_reasons_and_the_active_embedder(setup: Setup) -> None:
    table = setup.dialog.chat_table
    badges = {table.item(r, 0).text(): table.item(r, 2) for r in range(table.rowCount())}
    small = badges["Qwen2.5 1.5B Instruct (Q4_K_M)"]
    big = badges["Llama 3.1 8B Instruct (Q4_K_M)"]
    assert small.text() == "Fits" and "1.6 GB of RAM" in small.toolTip()
    assert big.text() == "Tight" and "close other programs" in big.toolTip()
    assert {table.item(r, 3).text() for r in range(table.rowCount())} == {"Not downloaded"}
    embedders = setup.dialog.embedder_table
    states = {embedders.item(r, 0).text(): embedders.item(r, 5).text() for r in range(3)}
    assert {embedders.item(r, 2).text() for r in range(3)} == {"Fits"}
    assert states["all-MiniLM-L6-v2 (bundled)"] == "● In use"
    ARTIFACTS.mkdir(exist_ok=True)
    setup.dialog.grab().save(str(ARTIFACTS / "models_dialog.png"))


def test_download_with_progress_then_use_the_model(setup: Setup, qtbot: QtBot) -> None:
    assert ENTRY is not None and ENTRY.filename
    dialog = setup.dialog
    values: list[int] = []
    dialog.progress.valueChanged.connect(values.append)
    dialog.chat_table.selectRow(_row_of(dialog, ENTRY.name))
    with qtbot.waitSignal(dialog.download_finished, timeout=60_000):
        dialog.download_button.click()
    assert values and max(values) == bundled_chat_model_path().stat().st_size // 1000
    path = setup.runtime.paths.data_dir / "models" / ENTRY.filename
    assert path.is_file()
    qtbot.waitUntil(
        lambda: dialog.chat_table.item(_row_of(dialog, ENTRY.name), 3).text() == "Installed"
    )
    old = setup.runtime.host.models.llm
    dialog.chat_table.selectRow(_row_of(dialog, ENTRY.name))
    dialog.use_button.click()  # the worker's signals come from its thread: wait on the GUI
    qtbot.waitUntil(lambda: "Now chatting with" in dialog.status_label.text(), timeout=30_000)
    llm = setup.runtime.host.models.llm
    assert llm is not old and llm is not None and llm.model_id == ENTRY.filename
    assert load_config(setup.runtime.paths.config_file).llm.model_path == str(path)
    qtbot.waitUntil(
        lambda: dialog.chat_table.item(_row_of(dialog, ENTRY.name), 3).text() == "● In use"
    )


def test_cancel_stops_a_download(setup: Setup, qtbot: QtBot) -> None:
    assert ENTRY is not None and ENTRY.filename
    dialog = setup.dialog
    setup.hub.throttle = 0.02
    dialog.chat_table.selectRow(_row_of(dialog, ENTRY.name))
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() > 500, timeout=20_000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: "cancelled" in dialog.status_label.text(), timeout=20_000)
    assert dialog.download_button.isEnabled()
    part = setup.runtime.paths.data_dir / "models" / (ENTRY.filename + ".part")
    assert 0 < part.stat().st_size < bundled_chat_model_path().stat().st_size


def test_a_bad_gguf_shows_an_error_and_the_old_model_remains(
    setup: Setup, qtbot: QtBot, expect_warnings: ExpectWarnings
) -> None:
    dialog = setup.dialog
    models = setup.runtime.paths.data_dir / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "broken.gguf").write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 4096)
    dialog.refresh()
    qtbot.waitUntil(lambda: dialog.chat_table.rowCount() == 8)
    old = setup.runtime.host.models.llm
    dialog.chat_table.selectRow(_row_of(dialog, "broken.gguf"))

    def error_box() -> QMessageBox | None:
        return dialog.findChild(QMessageBox, "errorDialog")

    with expect_warnings("Model not changed: .*broken.gguf", logger="ui.chat.worker"):
        dialog.use_button.click()
        qtbot.waitUntil(lambda: error_box() is not None, timeout=30_000)
    box = error_box()
    assert box is not None and box.isVisible() and "broken.gguf" in box.text()
    assert setup.runtime.host.models.llm is old
    assert "previous model is still in use" in dialog.status_label.text()
    assert setup.runtime.chat.ask("Hello there").message.text.strip()


def test_main_window_opens_the_models_window(window: MainWindow, qtbot: QtBot) -> None:
    action = next(
        a for a in window.findChildren(type(window.pause_action)) if a.text() == "&Models…"
    )
    assert action.shortcut().toString() == "Ctrl+Shift+L"
    action.trigger()
    assert window.dialogs.get(ModelsDialog) is not None
    qtbot.waitUntil(lambda: window.dialogs.get(ModelsDialog).chat_table.rowCount() >= 7)  # type: ignore[union-attr]
    assert window.dialogs.get(ModelsDialog).isVisible()


def test_use_a_local_embedder_folder_reembeds_with_progress(
    setup: Setup, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from models.hub.discovery import bundled_embedder_path

    for text in ("My sister Clara lives in Lisbon.", "I am allergic to peanuts."):
        setup.runtime.curation.remember(text)
    folder = tmp_path / "minilm-local"
    shutil.copytree(bundled_embedder_path(), folder)
    dialog = setup.dialog
    formats: list[str] = []
    dialog.progress.valueChanged.connect(lambda _: formats.append(dialog.progress.format()))
    # The swap itself happens on the chat worker's thread, the models' one owner (STYLE §4).
    on_worker_thread: list[bool] = []
    commit = setup.worker.manager.commit_embedder

    def recorded(prepared: object) -> None:
        on_worker_thread.append(QThread.currentThread() is setup.worker.thread())
        commit(prepared)  # type: ignore[arg-type]

    monkeypatch.setattr(setup.worker.manager, "commit_embedder", recorded)
    with qtbot.waitSignal(dialog.embedder_switched, timeout=60_000):
        dialog.use_embedder(folder)
    assert on_worker_thread == [True]
    bank = setup.runtime.host.models.bank
    assert bank is not None and bank.embedder.model_id == backend_model_id(
        "minilm-local", setup.runtime.config.embedder.backend
    )
    assert bank.index.count() == 2
    assert formats and formats[-1].startswith("memories")
    assert [r.memory.text for r in setup.runtime.curation.search("peanut allergy", 1)] == [
        "I am allergic to peanuts."
    ]


def test_a_better_model_that_fits_is_suggested_with_its_size_and_fit(setup: Setup) -> None:
    # 6 GB free: the largest 1.5-4B model that fits comfortably is Phi-3.5 mini (3.8B).
    label = setup.dialog.suggestion_label.text()
    assert label.startswith("★ Suggested for this computer: Phi-3.5 mini instruct (3.8B")
    assert "2.4 GB download" in label and "3.9 GB of RAM" in label
    assert "bundled model stays the offline default" in label
    starred = [
        setup.dialog.chat_table.item(r, 0).text()
        for r in range(setup.dialog.chat_table.rowCount())
        if setup.dialog.chat_table.item(r, 0).text().startswith("★")
    ]
    assert starred == ["★ Phi-3.5 mini instruct (Q4_K_M)"]

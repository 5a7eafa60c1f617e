"""Privacy in the window: a loose store is tightened at start and the user told once; the crash
dialog never shows the API key or the store passphrase (issue 17)."""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.bootstrap import open_runtime
from app.privacy.secrets import MASK
from memory.records import Kind
from ui import __main__ as gui
from ui.errors import install_excepthook

pytestmark = pytest.mark.gui


def _boxes(name: str) -> list[QMessageBox]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == name and w.isVisible()
    ]


@pytest.fixture
def restore_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """main() sets the umask, the excepthook and the log file of the whole process: put them
    back."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes (Windows: see README)")
def test_loose_store_is_tightened_at_start_and_the_notice_shown(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_process: None
) -> None:
    data = tmp_path / "data"
    runtime = open_runtime(str(data))
    runtime.store.add_memory(Kind.NOTE, "my sister's address", runtime.clock.now())
    runtime.close()
    for path in [data, *data.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)

    shown: list[str] = []

    def look() -> None:
        shown.extend(box.text() for box in _boxes("noticeDialog"))

    # The probe quits the app once the models are loaded; the notice is up by then.
    monkeypatch.setenv("MEMBANK_STARTUP_PROBE", "exit")
    QTimer.singleShot(0, look)
    assert gui.main(["--data-dir", str(data)]) == 0
    assert len(shown) == 1 and "Other accounts on this computer could read" in shown[0]
    assert "now private to you" in shown[0]
    for path in [data, *data.rglob("*")]:
        want = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.lstat().st_mode) == want, path

    shown.clear()
    QTimer.singleShot(0, look)
    assert gui.main(["--data-dir", str(data)]) == 0
    assert shown == []  # told once


def test_crash_dialog_masks_the_api_key_and_passphrase(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, expected_warnings: list[str]
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    key, passphrase = "sk-live-a1b2c3d4e5f6", "blue heron at dawn"
    install_excepthook([key, passphrase])
    error = RuntimeError(f"server said: bad key {key}; store key {passphrase}")
    sys.excepthook(RuntimeError, error, None)
    qtbot.waitUntil(lambda: len(_boxes("errorDialog")) == 1)
    [box] = _boxes("errorDialog")
    try:
        text = box.text()
        assert key not in text and passphrase not in text
        assert text.count(MASK) == 2 and "RuntimeError: server said: bad key" in text
    finally:
        box.close()

"""Privacy in the window: a loose store is tightened at start and the user told once; the crash
dialog never shows the API key or the store passphrase (issue 17)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.bootstrap import open_runtime
from app.privacy.secrets import MASK
from memory.records import Kind
from tests.conftest import ExpectWarnings
from ui.errors import install_excepthook

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]


def _boxes(name: str) -> list[QMessageBox]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == name and w.isVisible()
    ]


def _start_once(data: Path) -> dict[str, object]:
    """The real app, in its own process (main() changes process-wide state), until models load."""
    env = {**os.environ, "MEMBANK_STARTUP_PROBE": "exit", "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.notice_app", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("NOTICES ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    result: dict[str, object] = json.loads(lines[-1].removeprefix("NOTICES "))
    return result


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes (Windows: see README)")
def test_loose_store_is_tightened_at_start_and_the_notice_shown(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runtime = open_runtime(str(data))
    runtime.store.add_memory(Kind.NOTE, "my sister's address", runtime.clock.now())
    runtime.close()
    for path in [data, *data.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)

    # The probe quits the app once the models are loaded; the notice is up by then.
    first = _start_once(data)
    assert first["rc"] == 0
    shown = first["shown"]
    assert isinstance(shown, list) and len(shown) == 1, shown
    assert "Other accounts on this computer could read" in shown[0]
    assert "now private to you" in shown[0]
    for path in [data, *data.rglob("*")]:
        want = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.lstat().st_mode) == want, path

    again = _start_once(data)
    assert again == {"rc": 0, "shown": []}  # told once


def test_crash_dialog_masks_the_api_key_and_passphrase(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, expect_warnings: ExpectWarnings
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    key, passphrase = "sk-live-a1b2c3d4e5f6", "blue heron at dawn"
    install_excepthook([key, passphrase])
    error = RuntimeError(f"server said: bad key {key}; store key {passphrase}")
    with expect_warnings("unhandled error", logger="ui.errors"):
        sys.excepthook(RuntimeError, error, None)
        qtbot.waitUntil(lambda: len(_boxes("errorDialog")) == 1)
    [box] = _boxes("errorDialog")
    try:
        text = box.text()
        assert key not in text and passphrase not in text
        assert text.count(MASK) == 2 and "RuntimeError: server said: bad key" in text
    finally:
        box.close()

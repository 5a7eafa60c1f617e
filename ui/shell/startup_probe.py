"""Start-up timestamps for `membank-cli bench startup` (off unless MEMBANK_STARTUP_PROBE is set).

Prints `membank-startup EVENT SECONDS` lines on stderr, SECONDS being time.monotonic() (one
clock for the whole machine on Linux, so the launching process can subtract its own start).
Events: `window_shown` (the event loop has run once after show()) and `models_ready`.
The first-run welcome dialog is not opened while probing. With MEMBANK_STARTUP_PROBE=exit
the app quits after the models are loaded.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ui.shell.main_window import MainWindow

ENV = "MEMBANK_STARTUP_PROBE"


def _mark(event: str) -> None:
    print(f"membank-startup {event} {time.monotonic():.6f}", file=sys.stderr, flush=True)


def install(app: QApplication, window: MainWindow) -> bool:
    """Arm the probe when the environment asks for it; True when armed."""
    mode = os.environ.get(ENV, "")
    if not mode:
        return False

    def finished(event: str) -> None:
        _mark(event)
        if mode == "exit":
            QTimer.singleShot(0, app.quit)

    QTimer.singleShot(0, lambda: _mark("window_shown"))
    window.models_loaded.connect(lambda: finished("models_ready"))
    return True

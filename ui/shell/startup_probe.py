"""Start-up timestamps for `membank-cli bench startup` (off unless MEMBANK_STARTUP_PROBE is set).

Prints `membank-startup EVENT SECONDS` lines on stderr, SECONDS being time.monotonic() (one
clock for the whole machine on Linux, so the launching process can subtract its own start).
Events: `window_shown` (the event loop has run once after show()) and `models_ready`.
The first-run welcome dialog is not opened while probing. With MEMBANK_STARTUP_PROBE=exit
the app quits after the models are loaded. With MEMBANK_STARTUP_PROBE=transcript it then opens
the newest conversation, times that and scrolling it (`membank-transcript NAME MS` lines, for
`membank-cli bench transcript`), and quits.
"""

from __future__ import annotations

import os
import statistics
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
        elif mode == "transcript":
            QTimer.singleShot(0, lambda: _time_transcript(app, window))

    QTimer.singleShot(0, lambda: _mark("window_shown"))
    window.models_loaded.connect(lambda: finished("models_ready"))
    return True


def _say(name: str, ms: float) -> None:
    print(f"membank-transcript {name} {ms:.3f}", file=sys.stderr, flush=True)


def _time_transcript(app: QApplication, window: MainWindow) -> None:
    """Open the newest conversation (click to cards painted), scroll it top to bottom a step at
    a time (each step's repaint), then the same with every message rendered; then quit."""
    [newest, *_] = window.runtime.chat.conversations()
    chat = window.chat
    started = time.monotonic()

    def shown(_cid: int) -> None:
        chat.conversation_shown.disconnect(shown)
        chat.transcript.viewport().repaint()
        _say("open_ms", (time.monotonic() - started) * 1000)
        _scroll("scroll")
        chat.transcript.shown = 10**9
        began = time.monotonic()
        chat.transcript.show_messages(chat.messages, None, can_regenerate=True)
        chat.transcript.viewport().repaint()
        _say("open_all_ms", (time.monotonic() - began) * 1000)
        _scroll("scroll_all")
        QTimer.singleShot(0, app.quit)

    def _scroll(name: str) -> None:
        bar = chat.transcript.verticalScrollBar()
        steps, times = 60, []
        for i in range(steps + 1):
            bar.setValue(bar.maximum() - (bar.maximum() - bar.minimum()) * i // steps)
            t = time.monotonic()
            chat.transcript.viewport().repaint()
            times.append((time.monotonic() - t) * 1000)
        times.sort()
        _say(f"{name}_p50_ms", statistics.median(times))
        _say(f"{name}_p95_ms", times[int(0.95 * (len(times) - 1))])

    chat.conversation_shown.connect(shown)
    chat.open_conversation(newest.id)

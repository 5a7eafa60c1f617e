"""Quit cleanly on SIGTERM / SIGINT (session logout, `kill`, Ctrl+C in the terminal).

Python runs signal handlers only between bytecodes, and Qt's event loop runs in C++: a slow no-op
timer lets the interpreter see the signal; the handler then asks the window to quit from the event
loop, so models are closed and the store is flushed the normal way.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from PySide6.QtCore import QObject, QTimer

SIGNALS = (signal.SIGTERM, signal.SIGINT)
WAKE_MS = 250


class SignalQuit(QObject):
    def __init__(self, quit_app: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quit_app = quit_app
        self.received: int | None = None
        self._wake = QTimer(self)
        self._wake.timeout.connect(lambda: None)
        self._wake.start(WAKE_MS)
        self._previous: dict[int, Any] = {
            sig: signal.signal(sig, self._on_signal) for sig in SIGNALS
        }

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is not None:
            return  # a second signal while quitting: let the first quit finish
        self.received = signum
        QTimer.singleShot(0, self._quit_app)

    def restore(self) -> None:
        """Put the previous handlers back (tests; the app keeps them until exit)."""
        self._wake.stop()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

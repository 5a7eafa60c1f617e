"""Quitting: cleanly on SIGTERM / SIGINT (session logout, `kill`, Ctrl+C in the terminal), and
never waiting without a bound for a thread that will not stop.

Python runs signal handlers only between bytecodes, and Qt's event loop runs in C++: a slow no-op
timer lets the interpreter see the signal; the handler then asks the window to quit from the event
loop, so models are closed and the store is flushed the normal way.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class ShutdownBounds:
    """How long quitting waits at each stage. The window waits for the chat thread at most
    `total_ms`, then for the store thread what is left of it (at least `grace_ms`): 4.5 s at
    worst, under the 5 s a user will wait."""

    grace_ms: int = 1000  # asked to finish: the current request may end by itself
    cancel_ms: int = 2500  # cancelled: a reply leaves its stream loop before the next token

    @property
    def total_ms(self) -> int:
        return self.grace_ms + self.cancel_ms


def stop_thread(
    thread: QThread, cancel: Callable[[], None], bounds: ShutdownBounds, what: str
) -> bool:
    """Ask, wait, cancel, wait, give up with a log line (Dangerzone's conversion teardown).
    Returns whether the thread stopped; never waits longer than `bounds.total_ms`."""
    thread.quit()  # ask: its event loop ends once the slot running now returns
    if thread.wait(bounds.grace_ms):
        return True
    cancel()
    if thread.wait(bounds.cancel_ms):
        return True
    log.warning(
        "quitting without waiting for the %s thread: it did not stop within %.1f s "
        "(a model still loading cannot be interrupted)",
        what,
        bounds.total_ms / 1000,
    )
    return False


_ABANDONED: list[QThread] = []  # threads quitting gave up on, kept alive until the process ends


def abandon(thread: QThread) -> None:
    """Keep a thread `stop_thread` gave up on out of its parent's hands: Qt aborts the process
    when a running QThread is deleted. The process then ends with `exit_now`."""
    thread.setParent(None)
    _ABANDONED.append(thread)


def exit_now(code: int) -> None:
    """The last resort after `stop_thread` gave up: end the process without running Qt's or
    Python's teardown, which would wait for (or abort on) the thread still running. Committed
    SQLite transactions are on disk already; the index is healed from the store at next start."""
    logging.shutdown()
    os._exit(code)

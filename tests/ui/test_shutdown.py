"""SIGTERM/SIGINT reach a running Qt event loop and quit through the app's own quit path."""

from __future__ import annotations

import os
import signal

import pytest

from ui.shell.shutdown import SignalQuit


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_calls_quit_from_the_event_loop(qtbot, signum: int) -> None:
    calls: list[int] = []
    quitter = SignalQuit(lambda: calls.append(1))
    try:
        os.kill(os.getpid(), signum)
        qtbot.waitUntil(lambda: calls == [1], timeout=3000)
        assert quitter.received == signum
        os.kill(os.getpid(), signum)  # a second signal does not quit twice
        qtbot.wait(600)
        assert calls == [1]
    finally:
        quitter.restore()
    assert signal.getsignal(signal.SIGTERM) is not quitter._on_signal

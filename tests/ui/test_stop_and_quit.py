"""A Stop pressed while the worker is busy is kept, and quitting never waits without a bound
(issue 23: both were lost or hung on the old worker and closeEvent)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from tests.conftest import ExpectWarnings
from ui.shell import main_window
from ui.shell.main_window import MainWindow
from ui.shell.shutdown import ShutdownBounds

BLOCK_S = 30  # how long the stand-in jobs below hold the worker at most (cleanup only)


class BusyManager:
    """Stands in for the ModelManager: a model switch that holds the worker thread until
    released, like loading a large GGUF does."""

    def __init__(self) -> None:
        self.busy = threading.Event()
        self.release = threading.Event()

    def use_chat_model(self, _path: Path) -> None:
        self.busy.set()
        self.release.wait(BLOCK_S)


class Switcher(QObject):
    requested = Signal(str)


def test_stop_pressed_while_the_worker_is_busy_stops_that_reply(
    window: MainWindow, qtbot: QtBot
) -> None:
    manager = BusyManager()
    window.worker.manager = manager  # type: ignore[assignment]
    switcher = Switcher()
    switcher.requested.connect(window.worker.switch_chat_model)  # queued: the worker's thread
    switcher.requested.emit("/models/large.gguf")
    qtbot.waitUntil(manager.busy.is_set)
    window.chat.send("Write a very long story about a dragon and a knight.")
    assert window.chat.stop_button.isEnabled()
    window.chat.stop()  # pressed while the request waits behind the model switch
    with qtbot.waitSignal(window.chat.reply_shown, timeout=120_000) as shown:
        manager.release.set()
    assert shown.args[0].stopped
    assert window.chat.messages[-1].text == "(stopped)"


def test_a_stop_stops_its_own_request_only(window: MainWindow, qtbot: QtBot) -> None:
    """Each request has its own token: the Stop of one reply does not stop the next."""
    with qtbot.waitSignal(window.chat.reply_shown, timeout=120_000) as first:
        window.chat.send("Write a very long story about a dragon and a knight.")
        window.chat.stop()
    assert first.args[0].stopped
    with qtbot.waitSignal(window.chat.reply_shown, timeout=120_000) as second:
        window.chat.send("Say hello to me.")
    assert not second.args[0].stopped


def test_quitting_during_a_model_load_gives_up_in_bounded_stages(
    qtbot: QtBot,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    expect_warnings: ExpectWarnings,
) -> None:
    loading, release = threading.Event(), threading.Event()

    def slow_start(_runtime: Runtime, progress: object) -> None:
        loading.set()  # a GGUF read by llama.cpp: no step boundary to stop at
        release.wait(BLOCK_S)

    monkeypatch.setattr(main_window, "start_models", slow_start)
    window = MainWindow(runtime)
    qtbot.addWidget(window)
    window.shutdown_bounds = ShutdownBounds(grace_ms=200, cancel_ms=200)
    window.show()
    qtbot.waitUntil(loading.is_set)
    try:
        with expect_warnings(r"did not stop within 0\.4 s", logger="ui.shell.shutdown"):
            window.close()
        # close() came back while the load still runs: it did not wait for it to end
        assert window.worker_thread.isRunning() and not release.is_set()
        assert not window.stopped_cleanly  # the app then exits without waiting (exit_now)
    finally:
        release.set()
        window.worker_thread.wait()


def test_quitting_stops_a_load_between_its_steps(
    qtbot: QtBot, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load that reaches its next step after quit was asked stops there, quietly."""
    loading, release, steps = threading.Event(), threading.Event(), []

    def stepped_start(_runtime: Runtime, progress: object) -> None:
        loading.set()
        release.wait(BLOCK_S)
        progress("Loading the chat model…")  # type: ignore[operator]
        steps.append("chat model")  # pragma: no cover - stopped at the step above

    monkeypatch.setattr(main_window, "start_models", stepped_start)
    window = MainWindow(runtime)
    qtbot.addWidget(window)
    window.shutdown_bounds = ShutdownBounds(grace_ms=BLOCK_S * 1000, cancel_ms=BLOCK_S * 1000)
    window.show()
    qtbot.waitUntil(loading.is_set)
    window.worker.cancel_all()
    release.set()
    window.close()
    assert window.stopped_cleanly and steps == []


def test_the_default_bounds_quit_within_five_seconds() -> None:
    bounds = ShutdownBounds()
    assert bounds.total_ms + bounds.grace_ms < 5000  # chat thread, then the store's least

"""GUI test fixtures: a runtime on a temporary folder with the shared real models, and a window."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from tests import realmodels
from tests.realmodels import ready_runtime
from ui.shell.main_window import MainWindow


@pytest.fixture(scope="session", autouse=True)
def _close_models() -> Iterator[None]:
    yield
    realmodels.close_shared()


@pytest.fixture(autouse=True)
def _collect_garbage_after_each_test() -> Iterator[None]:
    """Free the last test's Qt and torch objects while no worker thread runs: a collection that
    fell inside the next test, while a worker thread built a torch model, crashed CI once."""
    yield
    gc.collect()


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with ready_runtime(tmp_path / "data") as rt:
        yield rt


@pytest.fixture
def window(qtbot: QtBot, runtime: Runtime) -> Iterator[MainWindow]:
    w = MainWindow(runtime)  # closed here, not by qtbot: pytest-qt closes its widgets first
    w.show()
    try:
        qtbot.waitUntil(lambda: w.models_ready, timeout=10_000)
        yield w
        # Let store work the test started finish first: quitting gives up on it after a few
        # seconds (by design, tests/ui/test_stop_and_quit.py), which a loaded machine can reach.
        qtbot.waitUntil(lambda: not w.tasks.busy, timeout=120_000)
    finally:
        w.close()  # stops the worker thread before the runtime closes the store

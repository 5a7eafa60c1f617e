"""GUI test fixtures: a runtime on a temporary folder with the shared real models, and a window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import Runtime
from tests import realmodels
from tests.realmodels import ready_runtime
from ui.main_window import MainWindow


@pytest.fixture(scope="session", autouse=True)
def _close_models() -> Iterator[None]:
    yield
    realmodels.close_shared()


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with ready_runtime(tmp_path / "data") as rt:
        yield rt


@pytest.fixture
def window(qtbot: QtBot, runtime: Runtime) -> Iterator[MainWindow]:
    w = MainWindow(runtime)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.models_ready, timeout=10_000)
    yield w
    w.close()  # stops the worker thread before the runtime closes the store

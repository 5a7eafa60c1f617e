"""Shared test set-up: offscreen Qt, no stray env, and unexpected WARNING logs fail the test."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.pop("MEMBANK_HOME", None)
os.environ.pop("MEMBANK_NOW", None)

ARTIFACTS = Path(__file__).parent / "artifacts"


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_warning_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Like qutebrowser's logfail: a WARNING log nobody expected is a test failure.

    A test that expects warnings takes the `expected_warnings` fixture and asserts on it.
    """
    collector = _WarningCollector()
    logging.getLogger().addHandler(collector)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(collector)
    if "expected_warnings" in request.fixturenames:
        return
    unexpected = [r for r in collector.records if not r.name.startswith(_IGNORED_LOGGERS)]
    if unexpected:
        lines = "\n".join(f"{r.name}: {r.getMessage()}" for r in unexpected)
        pytest.fail(f"unexpected WARNING logs:\n{lines}")


# Third-party loggers whose warnings are about their own internals, not our behaviour.
_IGNORED_LOGGERS: tuple[str, ...] = ("chromadb.telemetry",)


@pytest.fixture
def expected_warnings() -> list[str]:
    return []

"""Shared test set-up: offscreen Qt, no stray env, and unexpected WARNING logs fail the test."""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.pop("MEMBANK_HOME", None)
os.environ.pop("MEMBANK_NOW", None)
# The embedder's ONNX export (app.config.cache_dir): one per test session, shared by every test
# and the CLI processes they start (a run may point this at a kept folder to reuse one).
if "MEMBANK_CACHE" not in os.environ:
    os.environ["MEMBANK_CACHE"] = tempfile.mkdtemp(prefix="membank-test-cache-")
    atexit.register(shutil.rmtree, os.environ["MEMBANK_CACHE"], ignore_errors=True)

ARTIFACTS = Path(__file__).parent / "artifacts"


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.expected: set[int] = set()  # ids of records an `expect_warnings` scope claimed

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_COLLECTOR_KEY = pytest.StashKey[_WarningCollector]()


@pytest.fixture(autouse=True)
def fail_on_warning_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Like qutebrowser's logfail: a WARNING log nobody expected is a test failure.

    A test that expects a warning says which one, around the code that logs it:
    `with expect_warnings(r"pattern", logger="ui.shell"):` (the fixture of that name)."""
    collector = _WarningCollector()
    request.node.stash[_COLLECTOR_KEY] = collector
    logging.getLogger().addHandler(collector)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(collector)
    unexpected = [
        r
        for r in collector.records
        if id(r) not in collector.expected and not r.name.startswith(_IGNORED_LOGGERS)
    ]
    if unexpected:
        lines = "\n".join(f"{r.name}: {r.getMessage()}" for r in unexpected)
        pytest.fail(f"unexpected WARNING logs:\n{lines}")


# Third-party loggers whose warnings are about their own internals, not our behaviour.
_IGNORED_LOGGERS: tuple[str, ...] = ("chromadb.telemetry",)


ExpectWarnings = Callable[..., AbstractContextManager[list[logging.LogRecord]]]


@pytest.fixture
def expect_warnings(request: pytest.FixtureRequest, fail_on_warning_logs: None) -> ExpectWarnings:
    """A scoped expectation: inside the `with`, WARNING-or-worse records whose message matches
    `pattern` (and whose logger starts with `logger`) are expected, and at least one must come
    (unless `may=True`); any other warning still fails the test."""
    collector = request.node.stash[_COLLECTOR_KEY]

    @contextmanager
    def expect(
        pattern: str, *, logger: str = "", may: bool = False
    ) -> Iterator[list[logging.LogRecord]]:
        start = len(collector.records)
        matched: list[logging.LogRecord] = []
        yield matched
        for record in collector.records[start:]:
            if record.name.startswith(logger) and re.search(pattern, record.getMessage()):
                collector.expected.add(id(record))
                matched.append(record)
        if not may:  # `may`: the warning depends on what the OS does first (a full disk)
            assert matched, f"expected a WARNING matching {pattern!r} from {logger or 'any'}"

    return expect


# A test with the real models runs the 135M model on two cores; under load (two CPU hogs beside
# the suite) one such test took over the default 5 minutes. Those get 15 unless they set their own.
MODEL_TIMEOUT_S = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("model") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(MODEL_TIMEOUT_S))

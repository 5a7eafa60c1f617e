from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import realmodels


@pytest.fixture(scope="session", autouse=True)
def _close_models() -> Iterator[None]:
    yield
    realmodels.close_shared()

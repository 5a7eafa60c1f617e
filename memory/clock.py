"""Injectable clocks, so decay, schedules and "yesterday" are testable without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).astimezone()


class ShiftedClock:
    """Starts at a chosen time and then runs at real speed (for --now / MEMBANK_NOW demos)."""

    def __init__(self, start: datetime) -> None:
        self._start = start if start.tzinfo else start.astimezone()
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


class ManualClock:
    """A clock that moves only when told (unit tests)."""

    def __init__(self, start: datetime) -> None:
        self._now = start if start.tzinfo else start.astimezone()

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)

    def set(self, when: datetime) -> None:
        self._now = when


def to_db(when: datetime) -> str:
    """Timestamps are stored as UTC ISO-8601 text, which sorts correctly as text."""
    if when.tzinfo is None:
        when = when.astimezone()
    return when.astimezone(UTC).isoformat(timespec="seconds")


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text)


def parse_user_time(text: str) -> datetime:
    """An ISO time from the user (--now); a naive time is local time."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO date/time such as 2026-05-01T09:30") from exc
    return when if when.tzinfo else when.astimezone()


def is_day(text: str) -> bool:
    """Is `text` a calendar date written YYYY-MM-DD (2026-13-45 is not)?"""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10

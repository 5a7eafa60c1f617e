"""Time expressions in a question ("yesterday", "last week", "in May") resolved to date ranges.

A regular expression finds the candidate phrases (cheap, and keeps dateparser away from words
like "may" the verb); dateparser resolves each against the time of the question and says its
granularity (day, week, month, year), which sets the width of the range.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NUMBER = r"\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|few"
_UNIT = r"days?|weeks?|months?|years?"
# Longest alternatives first: "the day before yesterday" must win over "yesterday".
_PATTERNS = [
    r"the day before yesterday",
    r"yesterday|today|tonight|this morning|this evening",
    rf"(?:{_NUMBER}) (?:{_UNIT}) ago",
    rf"(?:last|this|past|previous) (?:week|weekend|month|year|{_DAYS}|{_MONTHS})",
    rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTHS}),? \d{{4}}",
    rf"(?:{_MONTHS}) \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}",
    rf"(?:{_MONTHS}),? \d{{4}}",
    # A bare month only after a preposition: "in May" (but not "may I ask").
    rf"(?<=\bin )(?:{_MONTHS})\b|(?<=\bduring )(?:{_MONTHS})\b|(?<=\bsince )(?:{_MONTHS})\b",
    r"(?<=\bin )(?:19|20)\d{2}\b|(?<=\bduring )(?:19|20)\d{2}\b",
    rf"(?<=\bon )(?:{_DAYS})\b",
]
_FINDER = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in _PATTERNS) + r")\b", re.IGNORECASE)
_WEEKEND = re.compile(r"\b(last|this|past|previous) weekend\b", re.IGNORECASE)


@dataclass(frozen=True)
class TimeRange:
    """[start, end) in the question's time zone, and the words of the question that said it."""

    start: datetime
    end: datetime
    phrase: str

    def contains(self, when: datetime) -> bool:
        return self.start <= when.astimezone(self.start.tzinfo) < self.end

    def distance_days(self, when: datetime) -> float:
        """0 inside the range, else days to its nearer edge."""
        when = when.astimezone(self.start.tzinfo)
        if when < self.start:
            return (self.start - when).total_seconds() / 86_400
        if when >= self.end:
            return (when - self.end).total_seconds() / 86_400
        return 0.0


class TimeResolver:
    """Resolves the first time expression in a text against `now` (dateparser loads lazily)."""

    def __init__(self) -> None:
        self._parser: Any = None
        self._base: datetime | None = None

    def warm_up(self, now: datetime) -> None:
        """dateparser builds its time-zone tables on first use (about half a second)."""
        self._resolve_phrase("yesterday", now)

    def find(self, text: str) -> list[str]:
        return [m.group(0) for m in _FINDER.finditer(text)]

    def resolve(self, text: str, now: datetime) -> TimeRange | None:
        for phrase in self.find(text):
            found = self._resolve_phrase(phrase, now)
            if found is not None:
                return found
        return None

    def without_time(self, text: str) -> str:
        """The text without its time expressions (so "yesterday" is not searched as a word)."""
        return " ".join(_FINDER.sub(" ", text).split())

    def _resolve_phrase(self, phrase: str, now: datetime) -> TimeRange | None:
        if now.tzinfo is None:
            now = now.astimezone()
        weekend = _WEEKEND.fullmatch(phrase)
        if weekend:
            return _weekend(phrase, now, weekend.group(1).lower() == "this")
        data = self._parser_for(now).get_date_data(phrase.lower())
        if data.date_obj is None:
            return None
        when = data.date_obj.replace(tzinfo=now.tzinfo)
        return _period_range(when, str(data.period or "day"), phrase)

    def _parser_for(self, now: datetime) -> Any:
        from dateparser.date import DateDataParser

        # dateparser works with a naive base time, in the question's own zone.
        base = now.replace(tzinfo=None)
        if self._parser is None or self._base != base:
            self._parser = DateDataParser(
                languages=["en"],
                settings={
                    "RELATIVE_BASE": base,
                    "PREFER_DATES_FROM": "past",
                    "RETURN_TIME_AS_PERIOD": True,
                },
            )
            self._base = base
        return self._parser


def _period_range(when: datetime, period: str, phrase: str) -> TimeRange:
    day = when.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return TimeRange(start, start + timedelta(days=7), phrase)
    if period == "month":
        start = day.replace(day=1)
        days = calendar.monthrange(start.year, start.month)[1]
        return TimeRange(start, start + timedelta(days=days), phrase)
    if period == "year":
        start = day.replace(month=1, day=1)
        return TimeRange(start, start.replace(year=start.year + 1), phrase)
    return TimeRange(day, day + timedelta(days=1), phrase)


def _weekend(phrase: str, now: datetime, this: bool) -> TimeRange:
    """dateparser does not know weekends: Saturday and Sunday of this week or the one before."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    saturday = today + timedelta(days=5 - today.weekday())
    if not this:
        saturday -= timedelta(days=7)
    return TimeRange(saturday, saturday + timedelta(days=2), phrase)

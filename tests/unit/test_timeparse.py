"""Time expressions in questions resolved against the time they are asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memory.recall.timeparse import TimeResolver

# A Saturday.
ASKED = datetime(2023, 7, 1, 12, 0, tzinfo=UTC)


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.fixture(scope="module")
def resolver() -> TimeResolver:
    return TimeResolver()


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What did I do yesterday?", day(2023, 6, 30), day(2023, 7, 1)),
        ("what did I eat today", day(2023, 7, 1), day(2023, 7, 2)),
        ("Who did I meet three days ago?", day(2023, 6, 28), day(2023, 6, 29)),
        ("What happened last week with Bob?", day(2023, 6, 19), day(2023, 6, 26)),
        ("Where did I go in May?", day(2023, 5, 1), day(2023, 6, 1)),
        ("What did we plan for May 2022?", day(2022, 5, 1), day(2022, 6, 1)),
        ("Where did I live two years ago?", day(2021, 1, 1), day(2022, 1, 1)),
        ("What did Melanie do on 8 May, 2023?", day(2023, 5, 8), day(2023, 5, 9)),
        ("what did we talk about last weekend", day(2023, 6, 24), day(2023, 6, 26)),
        ("Which books did I read in 2022?", day(2022, 1, 1), day(2023, 1, 1)),
        ("What did I buy last month?", day(2023, 6, 1), day(2023, 7, 1)),
    ],
)
def test_expressions_resolve_to_ranges(
    resolver: TimeResolver, question: str, start: datetime, end: datetime
) -> None:
    found = resolver.resolve(question, ASKED)
    assert found is not None, question
    assert (found.start, found.end) == (start, end)
    assert found.contains(start) and not found.contains(end)


@pytest.mark.parametrize(
    "question",
    [
        "When did Caroline go to the LGBTQ support group?",
        "May I ask what my sister's name is?",
        "What is the capital of France?",
        "How many days does a week have?",
    ],
)
def test_questions_without_a_time_expression_have_no_range(
    resolver: TimeResolver, question: str
) -> None:
    assert resolver.resolve(question, ASKED) is None


def test_the_range_follows_the_time_of_asking(resolver: TimeResolver) -> None:
    later = resolver.resolve("what did I do yesterday", datetime(2024, 2, 29, 8, tzinfo=UTC))
    assert later is not None and later.start == day(2024, 2, 28)


def test_without_time_removes_the_time_words_only(resolver: TimeResolver) -> None:
    assert resolver.without_time("What did I cook last week for Bob?") == "What did I cook for Bob?"


def test_distance_in_days_to_the_range(resolver: TimeResolver) -> None:
    found = resolver.resolve("yesterday", ASKED)
    assert found is not None
    assert found.distance_days(datetime(2023, 6, 30, 15, tzinfo=UTC)) == 0.0
    assert found.distance_days(datetime(2023, 6, 28, tzinfo=UTC)) == pytest.approx(2.0)
    assert found.distance_days(datetime(2023, 7, 2, tzinfo=UTC)) == pytest.approx(1.0)

"""PromptBuilder: what goes into the prompt, with dates, within the token budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from memory.recall.prompt import (
    MEMORY_RULES,
    SYSTEM_INTRO,
    PromptBudget,
    PromptBuilder,
    how_long_ago,
    memory_line,
)
from memory.records import Kind, Memory, Message, Recalled, State
from tests.unit.fakes import T0  # Friday 1 May 2026, 09:30 UTC


def words(text: str) -> int:
    return len(text.split())


def recalled(text: str, when: datetime, kind: Kind = Kind.TURN, mid: str = "") -> Recalled:
    memory = Memory(
        id=mid or f"id-{abs(hash((text, when)))}",
        kind=kind,
        text=text,
        created_at=when,
        event_time=when,
        strength=1.0,
        last_recalled_at=None,
        pinned=False,
        state=State.ACTIVE,
    )
    return Recalled(memory, score=0.5, similarity=0.8, retention=1.0)


def history(n: int, length: int = 10) -> list[Message]:
    out = []
    for i in range(n):
        role = "user" if i % 2 == 0 else "assistant"
        text = " ".join([f"turn{i}"] * length)
        out.append(Message(i + 1, 1, role, text, T0 - timedelta(minutes=n - i)))
    return out


def builder(context_size: int = 4096, reply_tokens: int = 512) -> PromptBuilder:
    return PromptBuilder(words, PromptBudget(context_size=context_size, reply_tokens=reply_tokens))


def system_of(prompt_messages: list) -> str:  # type: ignore[type-arg]
    assert prompt_messages[0]["role"] == "system"
    return str(prompt_messages[0]["content"])


# --- how_long_ago ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-2, "today"),
        (0, "today"),
        (1, "yesterday"),
        (2, "2 days ago"),
        (13, "13 days ago"),
        (14, "2 weeks ago"),
        (20, "2 weeks ago"),
        (21, "3 weeks ago"),
        (59, "8 weeks ago"),
        (60, "2 months ago"),
        (729, "24 months ago"),
        (730, "2 years ago"),
        (3650, "10 years ago"),
    ],
)
def test_how_long_ago_boundaries(days: int, expected: str) -> None:
    assert how_long_ago(T0 - timedelta(days=days), T0) == expected


def test_how_long_ago_counts_calendar_days_not_24_hours() -> None:
    late = datetime(2026, 4, 30, 23, 59, tzinfo=UTC)
    early = datetime(2026, 5, 1, 0, 1, tzinfo=UTC)
    assert how_long_ago(late, early) == "yesterday"
    assert how_long_ago(early.replace(hour=0, minute=0), early.replace(hour=23)) == "today"


def test_how_long_ago_uses_the_local_date_of_now() -> None:
    lisbon_summer = timezone(timedelta(hours=2))
    now = datetime(2026, 5, 1, 0, 30, tzinfo=lisbon_summer)  # 2026-04-30 22:30 UTC
    then = datetime(2026, 4, 30, 21, 0, tzinfo=UTC)  # 23:00 on 30 April, local
    assert how_long_ago(then, now) == "yesterday"


# --- build -----------------------------------------------------------------------------------


def test_prompt_has_the_date_the_intro_and_the_user_message_last() -> None:
    prompt = builder().build("Hello there", T0, [], [])
    system = system_of(prompt.messages)
    assert system.startswith(SYSTEM_INTRO)
    assert "Now: Friday 01 May 2026, 09:30." in system
    assert prompt.messages[-1] == {"role": "user", "content": "Hello there"}
    assert len(prompt.messages) == 2
    assert prompt.tokens == words(system) + words("Hello there")


def test_no_memories_means_no_memory_block_and_no_rules() -> None:
    prompt = builder().build("Hello", T0, [], history(2))
    system = system_of(prompt.messages)
    assert MEMORY_RULES not in system
    assert "What you remember" not in system
    assert prompt.used == []


def test_memories_appear_with_their_dates_and_age_and_the_rules() -> None:
    items = [
        recalled("My sister Alice lives in Lisbon", T0 - timedelta(days=2)),
        recalled("Dentist on Friday", T0 - timedelta(days=1), kind=Kind.NOTE),
        recalled("Sam works at Globex", T0, kind=Kind.FACT),
        recalled("Long ago", T0 - timedelta(days=30), kind=Kind.SESSION_SUMMARY),
    ]
    prompt = builder().build("Where does Alice live?", T0, items, [])
    system = system_of(prompt.messages)
    assert "- [Wednesday 29 April 2026, 2 days ago] My sister Alice lives in Lisbon" in system
    assert "- [Thursday 30 April 2026, yesterday] Dentist on Friday" in system
    assert "[Friday 01 May 2026, today] (fact) Sam works at Globex" in system
    assert "4 weeks ago] (session summary) Long ago" in system
    assert system.rstrip().endswith(MEMORY_RULES)
    # Most relevant first: the order of `recalled` is kept.
    positions = [system.index(r.memory.text) for r in items]
    assert positions == sorted(positions)
    assert prompt.used == items


def test_memory_line_collapses_whitespace() -> None:
    item = recalled("my   cat\nis\tMiso", T0)
    assert memory_line(item.memory, T0).endswith("] my cat is Miso")


def test_persona_and_summary_go_into_the_system_message() -> None:
    prompt = builder().build("Hi", T0, [], [], persona="Likes tea.", summary="Talked about cats.")
    system = system_of(prompt.messages)
    assert "Likes tea." in system
    assert "Talked about cats." in system


def test_history_turns_come_between_system_and_user_in_order() -> None:
    turns = history(4)
    prompt = builder().build("And now?", T0, [], turns)
    middle = prompt.messages[1:-1]
    assert middle == [{"role": m.role, "content": m.text} for m in turns]


def _header_tokens(user_text: str) -> int:
    return builder().build(user_text, T0, [], []).tokens - words(user_text)


def test_tight_budget_drops_memories_and_used_matches_what_was_included() -> None:
    user = "Where does Alice live?"
    items = [
        recalled(f"memory number {i} about Alice and Lisbon", T0, mid=f"m{i}") for i in range(6)
    ]
    line_cost = words(memory_line(items[0].memory, T0)) + 1
    header = _header_tokens(user)
    # memory_budget = int((context - reply - user - 32 - header) * 0.4): room for 2.5 lines.
    room = int(2.5 * line_cost / 0.4) + 1
    context = room + words(user) + 32 + header
    prompt = builder(context_size=context, reply_tokens=0).build(user, T0, items, [])
    system = system_of(prompt.messages)
    assert [r.memory.id for r in prompt.used] == ["m0", "m1"]
    for item in items:
        assert (item.memory.text in system) == (item in prompt.used)
    assert MEMORY_RULES in system


def test_a_memory_too_big_for_the_budget_does_not_block_smaller_ones() -> None:
    user = "hi"
    big = recalled(" ".join(["word"] * 500), T0, mid="big")
    small = recalled("small memory", T0, mid="small")
    prompt = builder(context_size=1024, reply_tokens=0).build(user, T0, [big, small], [])
    assert [r.memory.id for r in prompt.used] == ["small"]
    assert "word word" not in system_of(prompt.messages)


def test_no_room_for_memories_means_no_rules_either() -> None:
    user = "hi"
    context = words(user) + 32 + _header_tokens(user)  # nothing left after the header
    prompt = builder(context_size=context, reply_tokens=0).build(
        user, T0, [recalled("my cat is Miso", T0)], []
    )
    system = system_of(prompt.messages)
    assert prompt.used == []
    assert MEMORY_RULES not in system


@pytest.mark.parametrize("context", [300, 400, 600])
def test_tight_budget_drops_the_oldest_turns_first(context: int) -> None:
    turns = history(40, length=10)  # 40 turns of 18 tokens each
    user = "What did we talk about?"
    prompt = builder(context_size=context, reply_tokens=64).build(user, T0, [], turns)
    kept = prompt.messages[1:-1]
    assert 0 < len(kept) < len(turns)
    # The newest turns survive, still in chronological order.
    assert kept == [{"role": m.role, "content": m.text} for m in turns[-len(kept) :]]
    assert prompt.messages[-1] == {"role": "user", "content": user}
    assert prompt.tokens <= context - 64


def test_a_roomier_budget_keeps_more_turns() -> None:
    turns = history(40)
    kept = [
        len(builder(context_size=c, reply_tokens=64).build("hi", T0, [], turns).messages)
        for c in (300, 500, 800)
    ]
    assert kept == sorted(kept)
    assert kept[0] < kept[-1]

"""What consolidation writes with the bundled model, lived day by day: the issue's scripted
week (a move) and a fortnight of six life changes. Every persona line must hold the newest
value only, and nothing stored may loop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.jobs.daily import MemoryJobs
from memory.clock import ManualClock
from memory.consolidation.checks import looping
from memory.consolidation.hierarchy import HierarchyStore
from memory.consolidation.persona import split_persona
from memory.records import Kind, State
from tests.realmodels import ready_runtime
from tests.unit.fakes import say

# A lived week, season or crash series with the real model: minutes, not the default 5.
pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(1800)]
DAY0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Life:
    """The user chatting on given days, the daily job run at 03:00 the night after."""

    def __init__(self, runtime, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
        self.runtime = runtime
        self.clock = clock
        self.bank = runtime.host.models.bank
        self.jobs = MemoryJobs(runtime.host, runtime.archive, clock, timedelta(minutes=30))
        self.hierarchy = HierarchyStore(self.bank.store)

    def day(self, n: int, *texts: str) -> None:
        when = DAY0 + timedelta(days=n)
        for i, text in enumerate(texts):  # each in its own chat, as `membank-cli ask` does
            conversation = self.bank.store.create_conversation("Chat", when)
            say(self.bank, conversation.id, text, when + timedelta(minutes=5 * i))
        self.clock.set(when.replace(hour=3) + timedelta(days=1))
        result = self.jobs.run("daily")
        assert result.error is None, result.error

    def persona(self) -> tuple[str, str]:
        (persona,) = self.hierarchy.of_kind(Kind.GLOBAL_PERSONA)
        return split_persona(persona.text)

    def texts(self) -> list[str]:
        return [r["text"] for r in self.bank.store.rows("SELECT text FROM memories")]


@pytest.fixture
def life(tmp_path: Path) -> Iterator[Life]:
    with ready_runtime(tmp_path / "data", DAY0) as runtime:
        config = runtime.config.model_copy(
            update={
                "backup": runtime.config.backup.model_copy(update={"enabled": False}),
                "scheduler": runtime.config.scheduler.model_copy(update={"reflection": False}),
            }
        )  # the daily backup and reflection are other tests' subjects
        runtime.host.swap(config=config)
        yield Life(runtime, ManualClock(DAY0))


def line(profile: str, title: str) -> str:
    return next((x for x in profile.splitlines() if x.startswith(f"{title}:")), "")


def test_the_scripted_week_moves_the_user_to_berlin(life: Life) -> None:
    life.day(
        0,
        "Hi! I live in Paris and I work as a nurse at a children's hospital.",
        "My sister Jo is visiting next weekend; we want to hike in Fontainebleau.",
        "I am allergic to peanuts, so please remember that for recipes.",
    )
    life.day(3, "Big news: I moved from Paris to Berlin last week.")

    prose, profile = life.persona()
    assert line(profile, "Home") == "Home: lives in Berlin."
    assert "Paris" not in profile
    assert "lives in Paris" not in prose
    assert "nurse" in line(profile, "Work")
    assert line(profile, "People") == "People: sister Jo."
    assert line(profile, "Health") == "Health: allergic to peanuts."
    looped = [t for t in life.texts() if looping(t)]
    assert looped == []
    paris = [
        m
        for m in life.hierarchy.of_kind(Kind.FACT, active_only=False)
        if m.text == "The user lives in Paris."
    ]
    assert [m.state for m in paris] == [State.SUPERSEDED]  # kept for history, not current
    berlin = life.bank.store.memory(paris[0].superseded_by or "")
    assert berlin.text == "The user lives in Berlin."
    runs = life.hierarchy.job_runs("daily")
    assert all(r.status in ("ok", "partial") for r in runs)
    assert all((r.status == "partial") == bool(r.counts.get("failed_steps")) for r in runs)


def test_six_life_changes_leave_only_the_newest_values(life: Life) -> None:
    life.day(
        0,
        "I live in Madrid and I work as an accountant at a bank.",
        "My dog is called Bruno and I am vegetarian.",
        "My sister Jo lives nearby.",
    )
    life.day(2, "We moved to Valencia last weekend!")
    life.day(4, "I got a new job as a teacher at a primary school.")
    life.day(6, "We renamed our dog Bruno to Toby, he likes it better.")
    life.day(8, "I'm vegan now, no more cheese for me.")
    life.day(10, "I'm dating Sam, we met at the climbing gym.")
    life.day(12, "Actually my sister is called Joanna, not Jo.")

    prose, profile = life.persona()
    assert line(profile, "Home") == "Home: lives in Valencia."
    assert line(profile, "Work") == "Work: works as a teacher at a primary school."
    assert line(profile, "Pets") == "Pets: dog Toby."
    assert line(profile, "Diet") == "Diet: vegan."
    assert line(profile, "People") == "People: partner Sam; sister Joanna."
    everything = prose + "\n" + profile
    for old in ("Madrid", "accountant", "Bruno", "vegetarian"):
        assert old not in everything, old
    assert [t for t in life.texts() if looping(t)] == []
    superseded = {
        m.text
        for m in life.hierarchy.of_kind(Kind.FACT, active_only=False)
        if m.state is State.SUPERSEDED
    }
    assert {
        "The user lives in Madrid.",
        "The user works as an accountant at a bank.",
        "The user's dog is called Bruno.",
        "The user is vegetarian.",
        "The user's sister is called Jo.",
    } <= superseded

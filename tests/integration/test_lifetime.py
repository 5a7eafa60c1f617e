"""Issue 13's scripted fortnight, extended to 30 and 90 days: real models, real store, and the
daily job run for every simulated day (as the scheduler would, at 03:00)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.services.events import ReplyEvent
from memory.clock import ManualClock
from memory.consolidation.grounding import each_clause_in_one_source, support
from memory.consolidation.hierarchy import HierarchyStore
from memory.records import Kind, Memory, State
from tests.realmodels import ready_runtime

# A lived week, season or crash series with the real model: minutes, not the default 5.
pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(1800)]
DAY1 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
CAT_NOTE = "My cat is called Miso and she is a grey tabby."
SMALL_TALK = "ok thanks"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return DAY1.replace(hour=hour, minute=minute) + timedelta(days=day - 1)


def used(reply: ReplyEvent) -> list[Memory]:
    return [r.memory for r in reply.used]


@pytest.mark.parametrize("days", [30, 90])
def test_memory_lasts_through_a_lived_season(tmp_path: Path, days: int) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text("[llm]\nmax_tokens = 32\n")  # the replies do not matter
    # What the user says, and when (day, hour, minute): a note, a fact about them, small talk,
    # and on day 10 a fact that supersedes one from day 2.
    script = {
        at(1, 10, 0): ("remember", CAT_NOTE),
        at(1, 10, 5): ("ask", "I live in Lisbon and I work as a nurse at the children's hospital."),
        at(1, 10, 7): ("ask", SMALL_TALK),
        at(2, 10, 0): ("ask", "My favourite colour is green."),
        at(10, 10, 0): ("ask", "My favourite colour is blue now."),
    }
    for day in range(2, days + 1):
        script[at(day, 3, 0)] = ("daily", "")
    with ready_runtime(data, DAY1) as runtime:
        clock = ManualClock(DAY1)
        runtime.clock = clock
        for service in (runtime.chat, runtime.curation, runtime.archive, runtime.privacy):
            service.clock = clock
        chat, curation, store = runtime.chat, runtime.curation, runtime.store
        jobs = runtime.jobs()
        for when in sorted(script):
            clock.set(when)
            action, text = script[when]
            if action == "remember":
                curation.remember(text)
            elif action == "ask":
                chat.ask(text)
            else:
                result = jobs.run("daily")
                assert result.error is None, result

        clock.set(at(days, 10, 0))
        memories = {m.text: m for m in curation.memories(limit=1000)}
        # Small talk from day 1 has faded (consolidated, then let go) ...
        assert memories[SMALL_TALK].state is State.FADED
        # ... what the user asked to keep has not, and answers the question.
        assert memories[CAT_NOTE].state is State.ACTIVE
        cat = chat.ask("What is my cat called?")
        assert CAT_NOTE in [m.text for m in used(cat)], used(cat)

        home = chat.ask("Where do I live?")
        assert any(m.kind is Kind.FACT and "Lisbon" in m.text for m in used(home)), used(home)

        facts = HierarchyStore(store).of_kind(Kind.FACT, active_only=False)
        green = [f for f in facts if "green" in f.text.lower()]
        blue = [f for f in facts if "blue" in f.text.lower()]
        assert green and all(f.state is State.SUPERSEDED for f in green), facts
        assert blue and blue[0].state is State.ACTIVE, facts
        colour = chat.ask("What is my favourite colour?")
        assert not {f.id for f in green} & {m.id for m in used(colour)}, used(colour)

        # No stored reflection says anything its sources do not.
        hierarchy = HierarchyStore(store)
        for reflection in hierarchy.of_kind(Kind.REFLECTION, active_only=False):
            sources = [store.memory(i).text for i in hierarchy.sources(reflection.id)]
            assert "doctor" not in reflection.text.lower()
            assert support(reflection.text, "\n".join(sources)) >= 0.7, reflection.text
            assert each_clause_in_one_source(reflection.text, sources, 0.75), reflection.text

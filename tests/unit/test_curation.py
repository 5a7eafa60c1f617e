"""MemoryCuration's views of the hierarchy (overview, days, links) and the persona in the prompt."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.config import Config, LLMConfig
from app.services.events import ChatEvent, RecallEvent
from app.services.recall import IN_SYSTEM_PROMPT
from memory.bank import MemoryBank
from memory.clock import ManualClock
from memory.consolidation.consolidator import Consolidator
from memory.lifecycle.fading import sweep
from memory.records import Kind, State
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, StepLLM, make_bank
from tests.unit.wiring import Services, make_services

# These tests read the full prompt's layout (the compact one has tests of its own).
FULL_PROMPT = Config(llm=LLMConfig(prompt_style="full"))


@dataclass
class World:
    service: Services
    bank: MemoryBank
    llm: StepLLM
    clock: ManualClock

    def chat(self, *texts: str) -> list[ChatEvent]:
        conversation = self.service.chat.new_conversation()
        events: list[ChatEvent] = []
        for text in texts:
            events += self.service.chat.send(conversation.id, text, cancel=threading.Event())
            self.clock.advance(minutes=1)
        return events

    def consolidate(self) -> None:
        report = Consolidator(self.bank, self.llm).run(self.clock.now(), include_active=True)
        assert report.failures == []


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = ManualClock(T0)
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    llm = StepLLM()
    service = make_services(FULL_PROMPT, store, clock)
    service.host.attach(bank, llm)
    yield World(service, bank, llm, clock)
    bank.close()
    store.close()


@pytest.fixture
def two_days(world: World) -> World:
    world.chat("I live in Paris.", "My cat is called Miso.")
    world.consolidate()
    world.clock.advance(days=1)
    world.chat("I work as a nurse.", "I am allergic to peanuts.")
    world.consolidate()
    return world


def test_overview_before_any_consolidation_is_empty(world: World) -> None:
    overview = world.service.curation.overview()
    assert (overview.persona, overview.summary, overview.reflections, overview.facts) == (
        None,
        None,
        (),
        (),
    )
    assert world.service.curation.days() == []


def test_overview_shows_persona_summary_and_facts(two_days: World) -> None:
    overview = two_days.service.curation.overview()
    assert overview.persona is not None and overview.persona.kind is Kind.GLOBAL_PERSONA
    assert overview.summary is not None and overview.summary.kind is Kind.GLOBAL_SUMMARY
    assert "Paris" in overview.summary.text and "nurse" in overview.summary.text
    assert "Miso" in overview.persona.text and "peanuts" in overview.persona.text
    assert [f.text for f in overview.facts] == [
        "The user lives in Paris.",
        "The user's cat is called Miso.",
        "The user works as a nurse.",
        "The user is allergic to peanuts.",
    ]


def test_days_newest_first_and_filtered(two_days: World) -> None:
    days = two_days.service.curation.days()
    assert [d.day for d in days] == ["2026-05-02", "2026-05-01"]
    newest = days[0]
    assert newest.summary is not None and newest.persona is not None
    assert "nurse" in newest.summary.text and "Paris" not in newest.summary.text
    assert newest.summary.kind is Kind.DAILY_SUMMARY
    assert newest.persona.kind is Kind.DAILY_PERSONA

    (only,) = two_days.service.curation.days("2026-05-01")
    assert only.day == "2026-05-01"
    assert only.summary is not None and "Paris" in only.summary.text
    assert two_days.service.curation.days("2026-04-30") == []


def test_links_of_a_fact_lead_to_the_turns_it_came_from(two_days: World) -> None:
    fact = next(f for f in two_days.service.curation.overview().facts if "nurse" in f.text)
    links = two_days.service.curation.links(fact.id[:8])  # a unique prefix will do
    assert {lk.relation for lk in links} == {"derived_from"}
    sources = [
        two_days.service.curation.memory(lk.source_id) for lk in links if lk.memory_id == fact.id
    ]
    assert sorted(s.text for s in sources) == ["I am allergic to peanuts.", "I work as a nurse."]
    assert {s.kind for s in sources} == {Kind.TURN}


def test_send_puts_persona_and_summary_in_the_system_prompt_not_in_recall(
    two_days: World,
) -> None:
    overview = two_days.service.curation.overview()
    assert overview.persona is not None and overview.summary is not None
    question = "Tell me about Paris, Miso, nurse and peanuts"
    now = two_days.clock.now()
    # Recall alone would bring the overviews up: they share the question's words.
    assert {r.memory.kind for r in two_days.bank.recall(question, now, k=50)} & IN_SYSTEM_PROMPT

    events = two_days.chat(question)

    recall = events[0]
    assert isinstance(recall, RecallEvent)
    system = str(recall.prompt[0]["content"])
    assert overview.persona.text in system
    assert overview.summary.text in system
    assert recall.memories
    assert not [r for r in recall.memories if r.memory.kind in IN_SYSTEM_PROMPT]
    assert {Kind.GLOBAL_PERSONA, Kind.GLOBAL_SUMMARY, Kind.DAILY_PERSONA} == IN_SYSTEM_PROMPT


def test_set_pinned_restores_a_faded_memory(world: World) -> None:
    world.chat("hello there, how are you")
    (turn,) = world.service.curation.memories()
    world.clock.advance(days=world.bank.decay.hold_days + 1)  # never consolidated: past the hold
    assert sweep(world.service.store, world.bank.decay, world.clock.now()) == 1
    assert world.service.curation.memory(turn.id).state is State.FADED

    pinned = world.service.curation.set_pinned(turn.id, True)

    assert pinned.pinned is True
    assert pinned.state is State.ACTIVE
    assert pinned.last_recalled_at == world.clock.now()
    world.clock.advance(days=100)
    assert world.service.curation.retention(pinned) == 1.0
    assert sweep(world.service.store, world.bank.decay, world.clock.now()) == 0

    unpinned = world.service.curation.set_pinned(turn.id, False)
    assert (unpinned.pinned, unpinned.state) == (False, State.ACTIVE)
    assert sweep(world.service.store, world.bank.decay, world.clock.now()) == 1


def test_pinning_an_active_memory_leaves_its_clock_alone(world: World) -> None:
    world.chat("hello there, how are you")
    (turn,) = world.service.curation.memories()
    world.clock.advance(days=1)
    pinned = world.service.curation.set_pinned(turn.id, True)
    assert (pinned.pinned, pinned.state, pinned.last_recalled_at) == (True, State.ACTIVE, None)


def test_restore_brings_a_faded_memory_back_into_recall(world: World) -> None:
    world.chat("hello there, how are you")
    (turn,) = world.service.curation.memories()
    world.clock.advance(days=world.bank.decay.hold_days + 1)
    sweep(world.service.store, world.bank.decay, world.clock.now())
    assert world.service.curation.memory(turn.id).state is State.FADED

    world.clock.advance(hours=2)
    back = world.service.curation.restore(turn.id)

    assert back.state is State.ACTIVE
    assert back.pinned is False
    assert back.last_recalled_at == world.clock.now()
    assert world.service.curation.retention(back) == pytest.approx(1.0)
    assert turn.id in {r.memory.id for r in world.service.curation.search("hello there")}
    world.clock.advance(days=2)
    assert sweep(world.service.store, world.bank.decay, world.clock.now()) == 0
    assert world.service.curation.memory(turn.id).state is State.ACTIVE

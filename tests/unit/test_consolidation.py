"""Consolidation with a deterministic step model: the hierarchy, its links, updates, failures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from memory.bank import MemoryBank
from memory.consolidation.consolidator import Consolidator
from memory.consolidation.hierarchy import HierarchyStore
from memory.records import Kind, Memory, State
from tests.unit.fakes import T0, StepLLM, make_bank, say

DAY1 = "2026-05-01"
DAY1_TURNS = ("I live in Paris.", "My cat is called Miso.", "I am allergic to peanuts.")


@dataclass
class World:
    bank: MemoryBank
    llm: StepLLM
    consolidator: Consolidator
    hierarchy: HierarchyStore

    def chat(self, when: datetime, *texts: str, conversation_id: int | None = None) -> int:
        """The user says `texts` one minute apart from `when`; returns the conversation id."""
        if conversation_id is None:
            conversation_id = self.bank.store.create_conversation("Chat", when).id
        for i, text in enumerate(texts):
            say(self.bank, conversation_id, text, when + timedelta(minutes=i))
        return conversation_id

    def one(self, kind: Kind) -> Memory:
        found = self.hierarchy.of_kind(kind, active_only=False)
        assert len(found) == 1, found
        return found[0]

    def of(self, kind: Kind) -> list[Memory]:
        return self.hierarchy.of_kind(kind, active_only=False)

    def count(self, table: str) -> int:
        return int(self.bank.store.rows(f"SELECT count(*) AS n FROM {table}")[0]["n"])


def make_world(tmp_path: Path, llm: StepLLM) -> World:
    bank = make_bank(tmp_path)
    return World(bank, llm, Consolidator(bank, llm), HierarchyStore(bank.store))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path, StepLLM())
    yield w
    w.bank.close()
    w.bank.store.close()


@pytest.fixture
def garbage_world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path, StepLLM(garbage=True))
    yield w
    w.bank.close()
    w.bank.store.close()


def turn_ids(world: World) -> set[str]:
    return {m.id for m in world.of(Kind.TURN)}


def test_a_day_becomes_summaries_facts_and_personas_linked_to_their_sources(world: World) -> None:
    world.chat(T0, *DAY1_TURNS)
    last_turn_at = T0 + timedelta(minutes=2)
    report = world.consolidator.run(T0 + timedelta(hours=2))

    assert report.failures == []
    assert report.counts == {
        "session_summaries": 1,
        "slot_facts": 3,  # home, cat, allergy: from the user's words, the model's copies merged
        "daily_summaries": 1,
        "daily_personas": 1,
        "global_summary": 1,
        "global_persona": 1,
    }
    turns = turn_ids(world)
    assert len(turns) == 3

    session = world.one(Kind.SESSION_SUMMARY)
    assert session.text == (
        "The user said I live in Paris; My cat is called Miso; I am allergic to peanuts."
    )
    assert set(world.hierarchy.sources(session.id)) == turns
    assert len(session.source_message_ids) == 3

    facts = world.of(Kind.FACT)
    assert [f.text for f in facts] == [
        "The user lives in Paris.",
        "The user's cat is called Miso.",
        "The user is allergic to peanuts.",
    ]
    for fact in facts:
        assert set(world.hierarchy.sources(fact.id)) == turns
        # At least as strong as its sources (turns about the user, 5 days) and as a fact.
        assert fact.strength == world.bank.decay.initial(Kind.FACT, "") == 180.0
    assert session.strength >= max(world.bank.store.memory(t).strength for t in turns)

    daily = world.one(Kind.DAILY_SUMMARY)
    assert daily.derive_key == f"daily_summary:{DAY1}"
    assert daily.text == session.text  # one session: its summary is the day's
    assert world.hierarchy.sources(daily.id) == [session.id]

    persona = world.one(Kind.DAILY_PERSONA)
    assert persona.derive_key == f"daily_persona:{DAY1}"
    # Built from the turns in the order the user said them: the model's grounded prose over the
    # profile cut from the user's own words.
    assert persona.text == (
        "The user talked about live, Paris, cat, called, Miso, allergic, peanuts.\n"
        "Home: lives in Paris.\nPets: cat Miso.\nHealth: allergic to peanuts."
    )
    assert set(world.hierarchy.sources(persona.id)) == turns

    summary = world.one(Kind.GLOBAL_SUMMARY)
    assert summary.text == session.text
    assert world.hierarchy.sources(summary.id) == [daily.id]
    global_persona = world.one(Kind.GLOBAL_PERSONA)
    assert global_persona.text == persona.text  # the first day's persona is the persona
    # ... over the profile of everything the user said and every fact.
    assert set(world.hierarchy.sources(global_persona.id)) == {persona.id, *(f.id for f in facts)}

    # Everything derived happened when the session did, not when consolidation ran.
    for memory in [session, *facts, daily, persona, summary, global_persona]:
        assert memory.event_time == last_turn_at, memory.kind
        assert memory.state is State.ACTIVE
    # Links read both ways: the fact lists its turns, a turn lists what was derived from it.
    some_turn = next(iter(turns))
    derived = {lk.memory_id for lk in world.hierarchy.links(some_turn)}
    assert {session.id, persona.id, *(f.id for f in facts)} <= derived
    assert all(lk.relation == "derived_from" for lk in world.hierarchy.links(facts[0].id))
    # ... and it is all indexed, so recall finds it.
    assert world.bank.index_report().consistent
    # Facts come from the user's words by default: the model is not asked for them.
    assert world.llm.steps == ["session", "persona", "global"]


def test_a_second_run_adds_nothing(world: World) -> None:
    world.chat(T0, *DAY1_TURNS)
    world.consolidator.run(T0 + timedelta(hours=2))
    memories, links = world.count("memories"), world.count("memory_links")
    prompts = list(world.llm.steps)
    before = {m.id: m for m in world.bank.store.memories(limit=1000)}

    report = world.consolidator.run(T0 + timedelta(hours=3))

    assert report.counts == {}
    assert report.failures == []
    assert world.count("memories") == memories
    assert world.count("memory_links") == links
    assert world.llm.steps == prompts  # not even asked
    assert {m.id: m for m in world.bank.store.memories(limit=1000)} == before


def test_an_active_session_waits_unless_include_active(world: World) -> None:
    world.chat(T0, *DAY1_TURNS)
    now = T0 + timedelta(minutes=10)  # the last turn was 8 minutes ago: still going on

    report = world.consolidator.run(now)
    assert "session_summaries" not in report.counts
    assert world.of(Kind.SESSION_SUMMARY) == []
    assert world.of(Kind.FACT) == []

    report = world.consolidator.run(now, include_active=True)
    assert report.counts["session_summaries"] == 1
    assert len(world.of(Kind.FACT)) == 3
    assert len(world.of(Kind.DAILY_SUMMARY)) == 1


def test_moving_supersedes_the_old_home(world: World) -> None:
    world.chat(T0, "I live in Paris.")
    world.consolidator.run(T0 + timedelta(hours=2))
    (paris,) = world.of(Kind.FACT)
    assert paris.text == "The user lives in Paris."
    later = T0 + timedelta(days=3)
    assert paris.id in {r.memory.id for r in world.bank.recall("The user lives in Paris.", later)}

    world.chat(later, "I moved to Berlin.")
    report = world.consolidator.run(later + timedelta(hours=2))

    assert report.counts["facts_superseded"] == 1
    berlin = next(f for f in world.of(Kind.FACT) if f.id != paris.id)
    assert berlin.text == "The user lives in Berlin."
    old = world.bank.store.memory(paris.id)
    assert old.state is State.SUPERSEDED
    assert old.superseded_by == berlin.id
    assert old.text == paris.text  # kept for history
    assert {
        (lk.memory_id, lk.source_id, lk.relation) for lk in world.hierarchy.links(paris.id)
    } >= {(berlin.id, paris.id, "supersedes")}
    assert [m.id for m in world.hierarchy.of_kind(Kind.FACT)] == [berlin.id]  # active ones

    now = later + timedelta(hours=3)
    for query in ("Where do I live?", "The user lives in Paris."):
        assert paris.id not in {r.memory.id for r in world.bank.recall(query, now, k=50)}
    assert berlin.id in {r.memory.id for r in world.bank.recall("The user moved to Berlin", now)}


def test_the_same_fact_twice_is_stored_once_and_strengthened(world: World) -> None:
    world.chat(T0, "I live in Paris.")
    world.consolidator.run(T0 + timedelta(hours=2))
    (fact,) = world.of(Kind.FACT)
    later = T0 + timedelta(days=1)

    world.chat(later, "I live in Paris.", "I work as a nurse.")
    report = world.consolidator.run(later + timedelta(hours=2))

    assert report.counts["facts_merged"] == 1
    assert report.counts.get("slot_facts", 0) + report.counts.get("facts_added", 0) == 1
    assert [f.text for f in world.of(Kind.FACT)] == [
        "The user lives in Paris.",
        "The user works as a nurse.",
    ]
    again = world.bank.store.memory(fact.id)
    assert again.state is State.ACTIVE
    # Confirmed a day later: strengthened as a recall at that moment's retention would be.
    r = world.bank.decay.retention_at(fact, later + timedelta(hours=2))
    assert again.strength == pytest.approx(world.bank.decay.after_recall(fact.strength, r))
    assert again.strength > fact.strength
    assert again.last_recalled_at == later + timedelta(hours=2)  # its forgetting clock restarts
    from memory.storage import audit

    merged = [e.memory_id for e in audit.entries(world.bank.store) if e.event == "merged"]
    assert merged == [fact.id]  # the audit log says the duplicate was folded in


def test_a_fact_said_twice_in_one_session_is_stored_once(world: World) -> None:
    world.chat(T0, "I live in Paris.", "Honestly, I live in Paris.", "I live in Paris")
    world.consolidator.run(T0 + timedelta(hours=2))
    assert [f.text for f in world.of(Kind.FACT)] == ["The user lives in Paris."]


def test_unusable_model_output_keeps_the_users_words_and_stores_no_garbage(
    garbage_world: World,
) -> None:
    world = garbage_world
    world.chat(T0, *DAY1_TURNS)

    report = world.consolidator.run(T0 + timedelta(hours=2))

    assert report.failures  # session summary, persona and global summary were refused
    assert report.counts["failed_steps"] == len(report.failures)
    assert any(f.startswith("session summary:") for f in report.failures)
    session = world.one(Kind.SESSION_SUMMARY)
    assert session.text == (
        "The user said: I live in Paris. / My cat is called Miso. / I am allergic to peanuts."
    )
    # No fact from this model; the slot facts are the user's own statements, read without it.
    assert [f.text for f in world.of(Kind.FACT)] == [
        "The user lives in Paris.",
        "The user's cat is called Miso.",
        "The user is allergic to peanuts.",
    ]
    # No overall summary from this model: the day's own sentences (the user's words) instead.
    assert world.one(Kind.GLOBAL_SUMMARY).text.startswith("The user said: I live in Paris.")
    # No prose from this model, yet the persona is not empty: the profile of the user's words.
    profile = "Home: lives in Paris.\nPets: cat Miso.\nHealth: allergic to peanuts."
    assert [p.text for p in world.of(Kind.DAILY_PERSONA)] == [profile]
    assert world.one(Kind.GLOBAL_PERSONA).text == profile
    texts = [r["text"] for r in world.bank.store.rows("SELECT text FROM memories")]
    assert texts
    assert not [t for t in texts if "Bananas" in t or "volcanoes" in t]
    assert world.bank.index_report().consistent


def test_a_locked_global_persona_is_not_rewritten(world: World) -> None:
    world.chat(T0, *DAY1_TURNS)
    world.consolidator.run(T0 + timedelta(hours=2))
    persona = world.one(Kind.GLOBAL_PERSONA)
    summary = world.one(Kind.GLOBAL_SUMMARY)
    persona_sources = world.hierarchy.sources(persona.id)
    world.hierarchy.set_flag(persona.id, "locked", True)

    later = T0 + timedelta(days=1)
    world.chat(later, "I work as a nurse.", "I moved to Berlin.")
    report = world.consolidator.run(later + timedelta(hours=2))

    assert "global_persona" not in report.counts
    assert len(world.of(Kind.DAILY_PERSONA)) == 2
    kept = world.bank.store.memory(persona.id)
    assert (kept.text, kept.event_time, kept.locked) == (persona.text, persona.event_time, True)
    assert world.hierarchy.sources(persona.id) == persona_sources
    # The unlocked global summary did take the new day in.
    updated = world.bank.store.memory(summary.id)
    assert updated.text != summary.text
    assert "Berlin" in updated.text
    assert len(world.hierarchy.sources(summary.id)) == 2


def test_new_messages_in_a_summarised_session_update_it_in_place(world: World) -> None:
    conversation_id = world.chat(T0, "I live in Paris.", "My cat is called Miso.")
    world.consolidator.run(T0 + timedelta(hours=2))
    session = world.one(Kind.SESSION_SUMMARY)
    daily = world.one(Kind.DAILY_SUMMARY)
    summary = world.one(Kind.GLOBAL_SUMMARY)
    assert len(session.source_message_ids) == 2

    # Later the same day the user comes back to the same conversation.
    back = T0 + timedelta(hours=4)
    world.chat(back, "I am allergic to peanuts.", conversation_id=conversation_id)
    report = world.consolidator.run(back + timedelta(hours=2))

    assert report.counts["session_summaries"] == 1
    updated = world.one(Kind.SESSION_SUMMARY)
    assert updated.id == session.id
    assert len(updated.source_message_ids) == 3
    assert set(session.source_message_ids) < set(updated.source_message_ids)
    assert "peanuts" in updated.text
    assert updated.event_time == back
    assert set(world.hierarchy.sources(updated.id)) == turn_ids(world)
    # Only the new message was mined for facts.
    assert [f.text for f in world.of(Kind.FACT)] == [
        "The user lives in Paris.",
        "The user's cat is called Miso.",
        "The user is allergic to peanuts.",
    ]
    # The day and the overall summary follow, in place.
    new_daily = world.one(Kind.DAILY_SUMMARY)
    assert (new_daily.id, new_daily.text) == (daily.id, updated.text)
    assert set(new_daily.source_message_ids) == set(updated.source_message_ids)
    new_summary = world.one(Kind.GLOBAL_SUMMARY)
    assert new_summary.id == summary.id
    assert "peanuts" in new_summary.text
    assert world.bank.index_report().consistent


def test_two_sessions_on_one_day_are_summarised_together(world: World) -> None:
    world.chat(T0, "I live in Paris.")
    world.chat(T0 + timedelta(hours=3), "My cat is called Miso.")
    world.consolidator.run(T0 + timedelta(hours=5))

    sessions = world.of(Kind.SESSION_SUMMARY)
    assert len(sessions) == 2
    daily = world.one(Kind.DAILY_SUMMARY)
    assert "Paris" in daily.text and "Miso" in daily.text
    assert set(world.hierarchy.sources(daily.id)) == {s.id for s in sessions}
    assert daily.event_time == T0 + timedelta(hours=3)
    assert world.llm.steps.count("day") == 1


def test_a_run_reads_only_the_sessions_no_summary_holds_yet(world: World) -> None:
    """The history is not re-read at every run: only sessions with a turn or a note that no
    session summary holds come back, each whole (every turn of it, for its summary)."""
    old = world.chat(T0, *DAY1_TURNS)
    world.bank.remember(Kind.NOTE, "The spare key is under the blue pot.", T0)
    world.consolidator.run(T0 + timedelta(hours=2))
    assert world.hierarchy.sessions(0, unconsolidated=True) == []
    assert len(world.hierarchy.sessions(0)) == 2  # the chat and the day's notes

    day2 = T0 + timedelta(days=1)
    world.chat(day2, "I started learning the cello.", conversation_id=old)
    later = T0 + timedelta(hours=3)
    world.chat(later, "We also talked about the weather.", conversation_id=old)
    world.bank.remember(Kind.NOTE, "Dentist on Friday.", day2)
    pending = world.hierarchy.sessions(0, unconsolidated=True)
    assert sorted((s.day, len(s.message_ids), len(s.note_ids)) for s in pending) == [
        (DAY1, 4, 0),  # day 1's session again, whole: it has a new turn
        ("2026-05-02", 0, 1),
        ("2026-05-02", 1, 0),
    ]
    world.consolidator.run(day2 + timedelta(hours=2))
    assert world.hierarchy.sessions(0, unconsolidated=True) == []


def test_a_faded_statement_still_holds_its_slot_in_the_persona(world: World) -> None:
    """A move said in passing can fade from recall before "I live in Madrid" does; the persona
    must not fall back to Madrid when it does."""
    world.chat(T0, "I live in Madrid and I work as a nurse.")
    world.consolidator.run(T0 + timedelta(hours=2))
    later = T0 + timedelta(days=2)
    world.chat(later, "Big news: we moved to Valencia!")
    world.consolidator.run(later + timedelta(hours=2))
    valencia = next(t for t in world.of(Kind.TURN) if "Valencia" in t.text)
    world.hierarchy.fade([valencia.id], later + timedelta(days=5))
    world.chat(later + timedelta(days=5), "I work as a teacher now.")
    world.consolidator.run(later + timedelta(days=5, hours=2))
    persona = world.one(Kind.GLOBAL_PERSONA).text
    assert "Home: lives in Valencia." in persona.splitlines()
    assert "Madrid" not in persona
    assert "Work: works as a teacher." in persona.splitlines()

"""Where a session's facts come from: the user's own words (the default), the model, or the
model under a grammar; and how a statement's fact is superseded with its slot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from memory.consolidation.consolidator import ConsolidationSettings, Consolidator, FactSource
from memory.consolidation.hierarchy import HierarchyStore
from memory.consolidation.slot_facts import WORDS, holds
from memory.records import Kind, Recalled, State
from tests.unit.fakes import T0, StepLLM, make_bank, say


class World:
    def __init__(self, tmp_path: Path, facts: FactSource) -> None:
        self.bank = make_bank(tmp_path)
        self.llm = StepLLM()
        self.consolidator = Consolidator(self.bank, self.llm, ConsolidationSettings(facts=facts))
        self.hierarchy = HierarchyStore(self.bank.store)

    def day(self, days: int, *texts: str) -> None:
        when = T0 + timedelta(days=days)
        conversation = self.bank.store.create_conversation("Chat", when).id
        for i, text in enumerate(texts):
            say(self.bank, conversation, text, when + timedelta(minutes=i))
        self.consolidator.run(when + timedelta(hours=2))

    def facts(self, *, active_only: bool = True) -> list[str]:
        return [m.text for m in self.hierarchy.of_kind(Kind.FACT, active_only=active_only)]


@pytest.fixture
def words(tmp_path: Path) -> Iterator[World]:
    world = World(tmp_path, "words")
    yield world
    world.bank.close()
    world.bank.store.close()


def test_each_statement_is_a_fact_in_the_third_person_with_its_own_turn(words: World) -> None:
    words.day(0, "Yesterday I went to a pottery class with my sister Jo.", "What should I cook?")
    assert "facts" not in words.llm.steps  # no model was asked
    pottery = next(m for m in words.hierarchy.of_kind(Kind.FACT) if "pottery" in m.text)
    assert pottery.text == (
        "On 30 April 2026 the user went to a pottery class with their sister Jo."
    )
    turn = next(m for m in words.hierarchy.of_kind(Kind.TURN) if "pottery" in m.text)
    assert words.hierarchy.sources(pottery.id) == [turn.id]  # its own turn, not the session's
    assert "The user's sister is called Jo." in words.facts()  # the slot fact beside it
    assert not any("cook" in f for f in words.facts())  # a question states nothing


def test_a_move_supersedes_the_statement_that_held_the_old_home(words: World) -> None:
    words.day(0, "I live in Paris and I work as a nurse.")
    said = "The user lives in Paris and they work as a nurse."
    assert said in words.facts()
    words.day(3, "I moved to Berlin last week.")

    active = words.facts()
    assert said not in active and "The user lives in Paris." not in active
    assert "The user lives in Berlin." in active
    assert "The user works as a nurse." in active  # the job was not what changed
    old = next(m for m in words.hierarchy.of_kind(Kind.FACT, active_only=False) if m.text == said)
    assert old.state is State.SUPERSEDED  # kept for history
    homes = {
        h.key for m in words.hierarchy.of_kind(Kind.FACT) for h in holds(m) if h.slot_id == "|home"
    }
    assert homes == {"|home|berlin"}  # one current home


def test_a_statement_replaced_later_in_its_session_is_not_stored(words: World) -> None:
    words.day(0, "I live in Paris.", "Sorry, actually I live in Lyon.")
    assert not any("Paris" in f for f in words.facts())
    assert "The user lives in Lyon." in words.facts()


@pytest.mark.parametrize("source", ["model", "grammar"])
def test_the_model_sources_ask_the_model_and_only_grammar_constrains_it(
    tmp_path: Path, source: FactSource
) -> None:
    world = World(tmp_path, source)
    try:
        world.day(0, "My cat is called Miso.", "I am allergic to peanuts.")
        asked = [g for step, g in zip(world.llm.steps, world.llm.grammars, strict=True)
                 if step == "facts"]  # fmt: skip
        assert len(asked) == 1
        if source == "grammar":
            assert asked[0] is not None and asked[0].startswith("root ::=")
            assert '"The user"' in asked[0]
        else:
            assert asked[0] is None
        assert "The user is allergic to peanuts." in world.facts()
    finally:
        world.bank.close()
        world.bank.store.close()


def test_summaries_in_the_users_words_ask_no_model_and_read_in_the_third_person(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, "words")
    world.consolidator.settings = ConsolidationSettings(facts="words", summaries="words")
    try:
        world.day(0, "I went hiking yesterday with my sister Jo.", "Can you suggest a recipe?")
        world.day(1, "I started a new pottery class.")
        # Only the persona's prose asks the model (its merge shares the overview prompt).
        assert set(world.llm.steps) <= {"persona", "global"}
        assert world.llm.steps.count("global") <= world.llm.steps.count("persona")
        session = world.hierarchy.of_kind(Kind.SESSION_SUMMARY)[0]
        assert session.text == "The user went hiking on 30 April 2026 with their sister Jo."
        summary = world.hierarchy.of_kind(Kind.GLOBAL_SUMMARY)[0]
        assert "hiking" in summary.text and "pottery" in summary.text
        assert "recipe" not in summary.text  # a request is not a summary of the user
    finally:
        world.bank.close()
        world.bank.store.close()


def test_a_fact_used_in_a_reply_rehearses_the_message_it_stands_for(words: World) -> None:
    words.day(0, "Yesterday I went to a pottery class with my sister Jo.")
    turn = words.hierarchy.of_kind(Kind.TURN)[0]
    fact = next(m for m in words.hierarchy.of_kind(Kind.FACT) if "pottery" in m.text)
    slot = [m for m in words.hierarchy.of_kind(Kind.FACT) if m.id != fact.id]
    later = T0 + timedelta(days=3)
    words.bank.strengthen([Recalled(fact, 0.5, 0.5, 0.9)], later, None)
    store = words.bank.store
    for m in (fact, turn):  # the fact shown, and the message it restates
        assert store.memory(m.id).last_recalled_at == later
        assert store.memory(m.id).strength > m.strength
    for m in slot:  # a slot's fact from the same message is not rehearsed by it
        assert store.memory(m.id).last_recalled_at is None


def test_recall_ranks_a_message_and_its_facts_as_one_statement(words: World) -> None:
    from memory.recall.statements import one_rank_per_statement

    words.day(
        0,
        "I adopted a grey tabby kitten called Miso. I baked a lemon cake for the school fair.",
        "My sister Jo lives in Lisbon and she teaches maths there.",
    )
    turns = {m.text[:5]: m for m in words.hierarchy.of_kind(Kind.TURN)}
    first, other = turns["I ado"], turns["My si"]
    own = [
        m
        for m in words.hierarchy.of_kind(Kind.FACT)
        if (m.derive_key or "").startswith(WORDS) and words.hierarchy.sources(m.id) == [first.id]
    ]
    kitten, cake = (next(m for m in own if word in m.text) for word in ("Miso", "cake"))
    store = words.bank.store
    memories = store.memories_by_ids([first.id, other.id, kitten.id])  # the cake fact not yet
    memories[cake.id] = store.memory(cake.id)
    similarity = {cake.id: 0.5, first.id: 0.4, kitten.id: 0.7, other.id: 0.45}
    dense = [cake.id, first.id, other.id, kitten.id]
    keyword = [other.id, first.id]
    ranked, stands_for = one_rank_per_statement(store, [dense, keyword, []], memories, similarity)
    # One message, its two facts: one statement, under its best-placed fact, ranked once.
    assert ranked == [[cake.id, other.id], [other.id, cake.id], []]
    assert stands_for == {cake.id: first.id}  # it speaks for the message's speaker
    assert similarity[cake.id] == 0.7  # the best similarity of any of its forms

    # A note the user asked to keep stands for its fact in its own words.
    note = words.bank.remember(Kind.NOTE, "I keep three beehives behind the garden shed", T0)
    words.consolidator.run(T0 + timedelta(days=2))
    bees = next(m for m in words.hierarchy.of_kind(Kind.FACT) if "beehives" in m.text)
    memories = store.memories_by_ids([bees.id, note.id])
    assert one_rank_per_statement(store, [[bees.id, note.id]], memories, {}) == ([[note.id]], {})


def test_recall_shows_one_memory_for_one_statement(words: World) -> None:
    from app.services.recall import recall
    from memory.recall.statements import one_per_statement

    words.day(0, "Yesterday I went to a pottery class with my sister Jo.")
    turn = words.hierarchy.of_kind(Kind.TURN)[0]
    fact = next(m for m in words.hierarchy.of_kind(Kind.FACT) if "pottery" in m.text)
    now = T0 + timedelta(days=1)
    shown = [r.memory.id for r in recall(words.bank, "pottery class", now, 10)]
    assert fact.id in shown and turn.id not in shown  # the dated fact stands for the turn
    # ... at the better place of the two, with the better score: one slot, not two.
    said = [Recalled(turn, 0.9, 0.8, 1.0), Recalled(fact, 0.4, 0.5, 1.0)]
    assert [(r.memory.id, r.score) for r in one_per_statement(words.bank.store, said)] == [
        (fact.id, 0.9)
    ]
    summary = words.hierarchy.of_kind(Kind.SESSION_SUMMARY)[0]
    assert summary.id not in shown  # a one-message session's summary says nothing more

    # A note the user asked to keep stands in their words; its fact gives way.
    note = words.bank.remember(Kind.NOTE, "I keep three beehives behind the garden shed", now)
    words.consolidator.run(now + timedelta(days=1))
    later = now + timedelta(days=1, hours=1)
    shown_notes = [r.memory for r in recall(words.bank, "beehives", later, 10)]
    assert shown_notes[0].id == note.id
    assert not any(m.kind is Kind.FACT and "beehives" in m.text for m in shown_notes)
    # Once a message is no longer recalled (faded), its fact stands alone.
    alone = [r for r in words.bank.recall("pottery class", now, 10) if r.memory.id != turn.id]
    assert fact.id in [r.memory.id for r in one_per_statement(words.bank.store, alone)]


def test_a_fact_speaks_for_its_messages_speaker(words: World) -> None:
    words.day(0, "Caroline: I baked a lemon cake for the school fair on Saturday.")
    (turn,) = words.hierarchy.of_kind(Kind.TURN)
    fact = next(m for m in words.hierarchy.of_kind(Kind.FACT) if "cake" in m.text)
    retriever = words.bank.retriever
    found = retriever._candidates("What did Caroline bake for the fair?", T0 + timedelta(days=1))
    assert found.stands_for == {fact.id: turn.id}
    # The question names Caroline: her statement is boosted under its fact as under her message
    # (a fact in the third person has no "Caroline:" label of its own).
    boost = 1.0 + retriever.settings.speaker_boost
    assert retriever._boost(found.memories[fact.id], found) == boost
    assert retriever._boost(turn, found) == boost

"""Recall on a real store and index (hash embedder): time, speakers, neighbouring turns,
retention, supersession, duplicates and the token budget."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from app.transfer.conversations import ImportedTurn, import_conversation
from memory.bank import Draft, MemoryBank
from memory.recall.retrieval import HybridRetriever, RecallSettings
from memory.records import Kind, State
from tests.unit.fakes import T0, make_bank

OPEN = RecallSettings(k=10, floors=False, token_budget=None)


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[MemoryBank]:
    bank = make_bank(tmp_path)
    yield bank
    bank.close()
    bank.store.close()


def retriever(bank: MemoryBank, settings: RecallSettings = OPEN) -> HybridRetriever:
    return HybridRetriever(bank.store, bank.index, bank.embedder.embed, bank.decay, settings)


def texts(results: list) -> list[str]:  # type: ignore[type-arg]
    return [r.memory.text for r in results]


def test_a_time_expression_prefers_memories_of_that_span(bank: MemoryBank) -> None:
    bank.remember_many(
        [
            Draft(Kind.NOTE, "Dinner with Bob at the harbour", T0 - timedelta(days=40)),
            Draft(Kind.NOTE, "Dinner with Bob at the station", T0 - timedelta(days=1)),
            Draft(Kind.NOTE, "Dinner with Bob at the museum", T0 - timedelta(days=200)),
        ],
        T0,
    )
    results = retriever(bank).recall("Where did I have dinner with Bob yesterday?", T0)
    assert texts(results)[0] == "Dinner with Bob at the station"
    results = retriever(bank).recall("Where did I have dinner with Bob in March?", T0)
    assert texts(results)[0] == "Dinner with Bob at the harbour"


def test_a_time_only_question_finds_that_day(bank: MemoryBank) -> None:
    bank.remember_many(
        [
            Draft(Kind.NOTE, "Repotted the fern", T0 - timedelta(days=1)),
            Draft(Kind.NOTE, "Called the plumber", T0 - timedelta(days=9)),
        ],
        T0,
    )
    results = retriever(bank).recall("What did I do yesterday?", T0)
    assert texts(results)[0] == "Repotted the fern"


def test_the_named_speaker_wins_over_the_other(bank: MemoryBank) -> None:
    turns = [
        ImportedTurn("Melanie", "I painted a sunrise over the lake", T0),
        ImportedTurn("Caroline", "I painted a sunrise on the beach", T0 + timedelta(minutes=1)),
    ]
    import_conversation(bank.store, bank, "talk", turns, T0)
    results = retriever(bank).recall("What did Caroline paint?", T0)
    assert texts(results)[0].startswith("Caroline:")
    plain = retriever(bank, replace(OPEN, speaker_boost=0.0))
    assert {t.split(":")[0] for t in texts(plain.recall("What did Caroline paint?", T0))} == {
        "Caroline",
        "Melanie",
    }


def test_an_answer_is_found_through_the_question_before_it(bank: MemoryBank) -> None:
    turns = [
        ImportedTurn("Ann", "Which instrument did you pick up this spring?", T0),
        ImportedTurn("Ben", "The cello, I practise every evening", T0 + timedelta(seconds=30)),
        ImportedTurn("Ann", "Lovely. My garden is full of tulips", T0 + timedelta(seconds=60)),
        ImportedTurn("Ben", "Tulips are great", T0 + timedelta(seconds=90)),
    ]
    import_conversation(bank.store, bank, "talk", turns, T0)
    query = "Which instrument did Ben pick up this spring?"
    with_context = texts(retriever(bank).recall(query, T0, k=2))
    assert "Ben: The cello, I practise every evening" in with_context
    alone = retriever(bank, replace(OPEN, to_next_turn=0.0, to_previous_turn=0.0, dense_weight=0))
    assert "Ben: The cello, I practise every evening" not in texts(alone.recall(query, T0, k=1))


def test_turns_of_another_sitting_are_not_context(bank: MemoryBank) -> None:
    turns = [
        ImportedTurn("Ann", "Which instrument did you pick up?", T0),
        ImportedTurn("Ben", "Nothing new really", T0 + timedelta(days=3)),
    ]
    imported = import_conversation(bank.store, bank, "talk", turns, T0)
    keyword_only = replace(OPEN, dense_weight=0.0)
    found = retriever(bank, keyword_only).recall("instrument pick", T0)
    assert [r.memory.id for r in found] == [imported.memories[0].id]


def test_superseded_memories_stay_out_and_faded_ones_need_a_strong_cue(bank: MemoryBank) -> None:
    old, new, faded = bank.remember_many(
        [
            Draft(Kind.FACT, "Sam works at Initech"),
            Draft(Kind.FACT, "Sam works at Globex"),
            Draft(Kind.FACT, "Sam works at Hooli"),
        ],
        T0,
    )
    with bank.store.transaction() as db:
        db.execute("UPDATE memories SET state = 'superseded' WHERE id = ?", [old.id])
        db.execute("UPDATE memories SET state = ? WHERE id = ?", [str(State.FADED), faded.id])
    no_cue = replace(OPEN, cue_similarity=1.01, cue_keyword_top=0, cue_coverage=1.1)
    assert texts(retriever(bank, no_cue).recall("Where does Sam work?", T0)) == [
        "Sam works at Globex"
    ]
    # Cued recall: the faded one answers a question that matches it closely; never the
    # superseded one, however close.
    cued = texts(retriever(bank).recall("Sam works at Hooli or Initech?", T0))
    assert "Sam works at Hooli" in cued and "Sam works at Initech" not in cued


def test_retention_orders_equally_relevant_memories(bank: MemoryBank) -> None:
    # Small talk (S = 2 days) two days old: retention e^-1 weighs the ranking a little.
    bank.remember_many([Draft(Kind.TURN, "Alice moved to Lisbon")], T0 - timedelta(days=2))
    bank.remember_many([Draft(Kind.TURN, "Alice moved to Porto")], T0)
    results = retriever(bank).recall("Alice moved", T0)
    assert texts(results) == ["Alice moved to Porto", "Alice moved to Lisbon"]
    assert results[0].retention > results[1].retention


def test_duplicates_collapse_and_the_budget_holds(bank: MemoryBank) -> None:
    bank.remember_many(
        [
            Draft(Kind.NOTE, "The spare key is under the blue flowerpot"),
            Draft(Kind.NOTE, "the spare key is under the blue flowerpot."),
            Draft(Kind.NOTE, "The spare key for the shed hangs in the hall " + "really " * 60),
        ],
        T0,
    )
    settings = replace(OPEN, duplicate_threshold=0.9, token_budget=60)
    results = retriever(bank, settings).recall("where is the spare key", T0)
    assert len(results) == 1
    assert sum(len(t) // 4 + 1 for t in texts(results)) <= 60

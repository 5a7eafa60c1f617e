"""Hybrid recall: rrf fusion, relevance floors, decay and state filtering."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from memory.lifecycle.decay import DecayPolicy
from memory.recall.retrieval import HybridRetriever, RecallSettings, rrf
from memory.records import Kind, Memory, State
from memory.storage.index import ChromaIndex
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, HashEmbedder

# --- rrf -------------------------------------------------------------------------------------


def test_rrf_sums_reciprocal_ranks() -> None:
    scores = rrf([["a", "b"], ["b", "c"]], k=60)
    assert scores == pytest.approx({"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 62})
    assert max(scores, key=scores.__getitem__) == "b"


def test_rrf_with_small_k_and_edge_cases() -> None:
    assert rrf([["x", "y", "z"]], k=0) == pytest.approx({"x": 1.0, "y": 0.5, "z": 1 / 3})
    assert rrf([]) == {}
    assert rrf([[], []]) == {}
    assert rrf([["a"], ["a"], ["a"]], k=1) == pytest.approx({"a": 1.5})


# --- HybridRetriever -------------------------------------------------------------------------


@dataclass
class World:
    store: SQLiteStore
    index: ChromaIndex
    embedder: HashEmbedder
    retriever: HybridRetriever

    def add(
        self, text: str, when: datetime = T0, strength: float = 1.0, kind: Kind = Kind.TURN
    ) -> Memory:
        memory = self.store.add_memory(kind, text, when, strength=strength)
        self.index.upsert([memory.id], self.embedder.embed([text]))
        self.store.set_indexed([memory.id])
        return memory

    def set_state(self, memory: Memory, state: State) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE memories SET state = ? WHERE id = ?", [str(state), memory.id])


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    embedder = HashEmbedder()
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    index = ChromaIndex(tmp_path / "chroma", embedder.model_id, embedder.dim)
    retriever = HybridRetriever(store, index, embedder.embed, DecayPolicy(), RecallSettings())
    yield World(store, index, embedder, retriever)
    index.close()
    store.close()


FACTS = [
    "My sister Alice lives in Lisbon",
    "I adopted a cat named Miso",
    "The dentist appointment is on Friday afternoon",
    "Buy oat milk and sourdough bread",
]


def test_the_relevant_memory_ranks_first(world: World) -> None:
    alice, cat, dentist, _ = (world.add(text) for text in FACTS)
    results = world.retriever.recall("Where does my sister Alice live?", T0)
    assert results[0].memory.id == alice.id
    assert results[0].similarity is not None and results[0].similarity >= 0.35
    assert results[0].retention == pytest.approx(1.0)
    assert results[0].keyword_rank == 1
    assert all(r.memory.id not in {cat.id, dentist.id} for r in results)

    results = world.retriever.recall("what is my cat called", T0)
    assert [r.memory.id for r in results] == [cat.id]


def test_results_are_sorted_by_score_and_capped_at_k(world: World) -> None:
    for i in range(5):
        world.add(f"Miso the cat chased mouse number {i}")
    results = world.retriever.recall("Miso cat", T0, k=3)
    assert len(results) == 3
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


def test_a_faded_memory_is_left_out_unless_the_cue_is_strong(world: World) -> None:
    old = world.add("My sister Alice lives in Lisbon", when=T0 - timedelta(days=30))
    world.set_state(old, State.FADED)
    no_cue = HybridRetriever(
        world.store,
        world.index,
        world.embedder.embed,
        DecayPolicy(),
        RecallSettings(cue_similarity=1.01, cue_keyword_top=0, cue_coverage=1.1),
    )
    assert no_cue.recall("Where does my sister Alice live?", T0) == []
    # The default cue: a close match by meaning and words brings it back, ranked by retention.
    results = world.retriever.recall("Where does my sister Alice live?", T0)
    assert [r.memory.id for r in results] == [old.id]
    assert results[0].retention == pytest.approx(math.exp(-30))
    # An active memory past its fade point (not swept yet) is still recalled, ranked lower.
    world.set_state(old, State.ACTIVE)
    assert [r.memory.id for r in world.retriever.recall("sister Alice", T0)] == [old.id]


def test_pinned_memories_are_recalled_however_old(world: World) -> None:
    old = world.add("My sister Alice lives in Lisbon", when=T0 - timedelta(days=3650))
    with world.store.transaction() as db:
        db.execute("UPDATE memories SET pinned = 1 WHERE id = ?", [old.id])
    results = world.retriever.recall("Where does my sister Alice live?", T0)
    assert [r.memory.id for r in results] == [old.id]
    assert results[0].retention == 1.0


def test_fresher_memory_outranks_an_equally_relevant_older_one(world: World) -> None:
    old = world.add("Alice moved to Lisbon", when=T0 - timedelta(days=2))
    new = world.add("Alice moved to Porto", when=T0)
    results = world.retriever.recall("Alice moved", T0)
    assert [r.memory.id for r in results] == [new.id, old.id]
    assert results[0].retention > results[1].retention


@pytest.mark.parametrize("state", [State.SUPERSEDED])
def test_memories_that_are_not_active_are_left_out(world: World, state: State) -> None:
    stale = world.add("Sam works at Initech as an engineer")
    current = world.add("Sam works at Globex as an engineer")
    world.set_state(stale, state)
    results = world.retriever.recall("Where does Sam work as an engineer?", T0)
    assert [r.memory.id for r in results] == [current.id]


def test_unrelated_text_falls_below_the_relevance_floor(world: World) -> None:
    for text in FACTS:
        world.add(text)
    # Chroma always returns nearest neighbours; the floor is what makes the answer "nothing".
    assert world.index.query(world.embedder.embed(["x"])[0], 10)
    assert world.retriever.recall("quantum chromodynamics lecture notes", T0) == []


def test_a_keyword_hit_below_the_dense_floor_is_still_recalled(world: World) -> None:
    long_note = (
        "Packing list for the hiking trip: boots tent stove lantern rope compass map "
        "sunscreen snacks Miso"
    )
    memory = world.add(long_note)
    similarity = world.embedder.similarity("Miso", long_note)
    assert 0.15 <= similarity < 0.35  # too weak for the dense floor alone
    results = world.retriever.recall("Miso", T0)
    assert [r.memory.id for r in results] == [memory.id]
    assert results[0].keyword_rank == 1


def test_a_keyword_hit_missing_from_the_index_is_judged_by_its_own_vector(world: World) -> None:
    indexed = world.add("Alice likes green tea")
    unindexed = world.store.add_memory(Kind.NOTE, "Alice plays the cello", T0)
    results = world.retriever.recall("Alice cello", T0)
    by_id = {r.memory.id: r for r in results}
    assert unindexed.id in by_id
    assert by_id[unindexed.id].similarity == pytest.approx(
        world.embedder.similarity("Alice cello", "Alice plays the cello")
    )
    assert indexed.id in by_id


def test_empty_bank_recalls_nothing(world: World) -> None:
    assert world.retriever.recall("anything at all", T0) == []

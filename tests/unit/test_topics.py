"""Topics of a life: the dense search's vector moved towards the question's nearest topic, and a
named speaker's turns first in the dense ranking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from memory.lifecycle.decay import DecayPolicy
from memory.recall.fusion import said_first
from memory.recall.retrieval import HybridRetriever, RecallSettings
from memory.recall.topics import TopicVectors
from memory.records import Kind, Recalled
from memory.storage.index import ChromaIndex
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, HashEmbedder

QUESTION = "Which activities does she enjoy?"


def test_the_question_moves_towards_its_nearest_topic() -> None:
    embed = HashEmbedder(dim=4096).embed  # wide enough that words do not collide
    topics = TopicVectors(embed)
    q = embed([QUESTION])[0]
    assert topics.nearest(q) == "hobbies"  # "activities", "enjoy"
    hobbies = topics.vectors()[0]
    moved = topics.towards(q, 0.3)
    assert np.linalg.norm(moved) == pytest.approx(1.0, abs=1e-5)
    assert float(moved @ hobbies) > float(q @ hobbies)  # nearer the topic ...
    assert float(moved @ q) > float(moved @ hobbies)  # ... and still mostly the question
    np.testing.assert_allclose(topics.towards(q, 0.0), q, atol=1e-6)


class Said:
    def __init__(self, text: str) -> None:
        self.text = text


def test_said_first_puts_the_named_speakers_turns_first_in_order() -> None:
    memories = {
        "a": Said("John: I went hiking"),
        "b": Said("Melanie: I paint"),
        "c": Said("a note with no speaker"),
        "d": Said("Melanie: pottery class today"),
    }
    assert said_first(["a", "b", "c", "d", "x"], memories, {"Melanie"}) == [
        "b",
        "d",
        "a",
        "c",
        "x",
    ]
    assert said_first(["a", "b"], memories, set()) == ["a", "b"]


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[SQLiteStore, ChromaIndex, HashEmbedder]]:
    embedder = HashEmbedder(dim=4096)
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    index = ChromaIndex(tmp_path / "chroma", embedder.model_id, embedder.dim)
    yield store, index, embedder
    index.close()
    store.close()


def test_a_hobby_that_shares_no_word_with_the_question_is_found_by_the_moved_vector(
    parts: tuple[SQLiteStore, ChromaIndex, HashEmbedder],
) -> None:
    store, index, embedder = parts
    texts = [
        "Pottery, painting, hiking and camping fill my weekends",
        "The office listed activities for the quarterly planning week downtown",
    ]
    ids = []
    for text in texts:
        memory = store.add_memory(Kind.TURN, text, T0)
        index.upsert([memory.id], embedder.embed([text]))
        ids.append(memory.id)
    store.set_indexed(ids)
    dense_only = RecallSettings(keyword_weight=0.0, floors=False, token_budget=None, k=2)

    def found(pull: float) -> list[Recalled]:
        settings = replace(dense_only, topic_pull=pull)
        return HybridRetriever(store, index, embedder.embed, DecayPolicy(), settings).recall(
            QUESTION, T0
        )

    assert found(0.0)[0].memory.id == ids[1]  # the question's own vector: the shared word
    moved = found(0.5)
    assert moved[0].memory.id == ids[0]  # moved towards hobbies: the weekends' pastimes
    # ... and the similarity the floors judge by is still the question's own (no shared word).
    assert moved[0].similarity == pytest.approx(0.0, abs=1e-6)

"""Keyword search and neighbour lookups keep their cost bounded in a big store (issue 22's 1M
recall p95), and give the same answers as before in a small one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import memory.storage.fts as fts
from memory.recall.neighbours import _NEIGHBOURS, neighbour_turns
from memory.records import Kind
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "membank.sqlite3")
    yield s
    s.close()


def add(store: SQLiteStore, text: str, days: int, conversation: int | None = None) -> str:
    when = T0 + timedelta(days=days)
    kind = Kind.TURN if conversation is not None else Kind.NOTE
    return store.add_memory(kind, text, when, event_time=when, conversation_id=conversation).id


def test_over_rank_all_matches_the_newest_are_ranked_and_every_words_matches_come_first(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = add(store, "Kyoto trip with Hiro, Hiro loved Kyoto", days=0)  # the oldest
    kyoto = [add(store, f"Kyoto day {i}", days=10 + i) for i in range(8)]
    hiro = [add(store, f"Hiro called {i}", days=20 + i) for i in range(8)]
    # A small store ranks every match: the best first, as bm25 says.
    ranked = [mid for mid, _ in store.keyword_search("Hiro in Kyoto", 100)]
    assert ranked[0] == both and set(ranked) == {both, *kyoto, *hiro}

    monkeypatch.setattr(fts, "RANK_ALL", 5)  # a "big" store: 17 matches, more than 5
    ranked = [mid for mid, _ in store.keyword_search("Hiro in Kyoto", 100)]
    assert ranked[0] == both  # holds every word: first, though older than the newest 5
    assert set(ranked[1:]) == set(hiro[-5:])  # of the rest only the newest 5 were ranked
    one_word = [mid for mid, _ in store.keyword_search("Kyoto", 100)]
    assert set(one_word) == set(kyoto[-5:])  # 9 hold it; the newest 5 ranked


def test_a_turns_neighbours_are_a_range_scan_of_its_conversation(store: SQLiteStore) -> None:
    chat = store.create_conversation("Chat", T0)
    other = store.create_conversation("Other", T0)
    first = add(store, "Did you go to Kyoto?", 0, chat.id)
    add(store, "Something else entirely", 0, other.id)  # same time, other conversation
    second = add(store, "Yes, with Hiro", 0, chat.id)
    memories = store.memories_by_ids([first, second])
    assert neighbour_turns(store, list(memories.values()))[second] == (first, None)
    plan = " ".join(
        str(r[-1])
        for r in store.db.conn.execute(
            "EXPLAIN QUERY PLAN " + _NEIGHBOURS.format(i=0),
            {"id_0": second, "floor_0": "2000", "ceiling_0": "2100"},
        )
    )
    assert plan.count("USING INDEX memories_by_conversation") == 2, plan
    assert "TEMP B-TREE" not in plan, plan

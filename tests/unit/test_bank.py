"""MemoryBank: SQLite first, Chroma second, and reconcile() to bring them back in step."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from memory.bank import MemoryBank
from memory.errors import VectorIndexError
from memory.records import Kind, State
from tests.conftest import ExpectWarnings
from tests.unit.fakes import T0, HashEmbedder, make_bank


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[MemoryBank]:
    b = make_bank(tmp_path)
    yield b
    b.close()
    b.store.close()


def assert_in_step(bank: MemoryBank) -> None:
    report = bank.index_report()
    assert report.consistent, report
    assert bank.index.count() == bank.store.count_memories()
    assert bank.index.ids() == bank.store.all_memory_ids()
    assert bank.store.unindexed() == []


def test_remember_then_recall(bank: MemoryBank) -> None:
    memory = bank.remember(Kind.NOTE, "My sister Alice lives in Lisbon", T0)
    bank.remember(Kind.NOTE, "I adopted a cat named Miso", T0)
    # Notes start strong: S in days, a year for "remember this".
    assert memory.strength == bank.decay.initial(Kind.NOTE, memory.text) == 365.0
    assert_in_step(bank)
    results = bank.recall("Where does my sister Alice live?", T0 + timedelta(hours=1))
    assert results[0].memory.id == memory.id
    assert results[0].memory.text == "My sister Alice lives in Lisbon"


def test_remember_keeps_event_time_and_sources(bank: MemoryBank) -> None:
    conversation = bank.store.create_conversation("Chat", T0)
    message = bank.store.add_message(conversation.id, "user", "I saw Alice yesterday", T0)
    memory = bank.remember(
        Kind.TURN,
        message.text,
        T0,
        event_time=T0 - timedelta(days=1),
        conversation_id=conversation.id,
        source_message_ids=[message.id],
    )
    stored = bank.store.memory(memory.id)
    assert stored.event_time == T0 - timedelta(days=1)
    assert stored.conversation_id == conversation.id
    assert stored.source_message_ids == (message.id,)


def test_strengthen_records_usage_and_boosts(bank: MemoryBank) -> None:
    memory = bank.remember(Kind.NOTE, "My sister Alice lives in Lisbon", T0)
    conversation = bank.store.create_conversation("Chat", T0)
    reply = bank.store.add_message(conversation.id, "assistant", "In Lisbon.", T0)
    later = T0 + timedelta(days=1)
    used = bank.recall("Where does Alice live?", later)
    bank.strengthen(used, later, reply.id)
    after = bank.store.memory(memory.id)
    expected = bank.decay.after_recall(365.0, math.exp(-1 / 365.0))  # a day after it was noted
    assert after.strength == pytest.approx(expected) and expected > 365.0
    assert after.state is State.ACTIVE
    assert after.last_recalled_at == later
    assert [m.id for m in bank.store.messages(conversation.id)[0].used_memories] == [memory.id]


def test_reconcile_restores_a_vector_missing_from_the_index(bank: MemoryBank) -> None:
    kept = bank.remember(Kind.NOTE, "I adopted a cat named Miso", T0)
    lost = bank.remember(Kind.NOTE, "My sister Alice lives in Lisbon", T0)
    bank.index.delete([lost.id])

    before = bank.index_report()
    assert (before.memories, before.indexed, before.missing, before.orphans) == (2, 1, 1, 0)
    assert not before.consistent
    # Even without its vector, a keyword hit finds it (judged by a freshly computed vector).
    results = bank.recall("Where does my sister Alice live?", T0)
    assert [r.memory.id for r in results] == [lost.id]
    assert results[0].keyword_rank == 1

    report = bank.reconcile()
    assert (report.missing, report.orphans) == (1, 0)
    assert_in_step(bank)
    assert bank.index.ids() == {kept.id, lost.id}
    results = bank.recall("Where does my sister Alice live?", T0)
    assert results[0].memory.id == lost.id


def test_reconcile_removes_orphan_vectors(bank: MemoryBank) -> None:
    memory = bank.remember(Kind.NOTE, "I adopted a cat named Miso", T0)
    bank.index.upsert(["orphan-from-a-deleted-memory"], bank.embedder.embed(["Miso"]))
    assert bank.index_report().orphans == 1

    report = bank.reconcile()
    assert (report.missing, report.orphans) == (0, 1)
    assert bank.index.ids() == {memory.id}
    assert_in_step(bank)


def test_reconcile_on_a_consistent_bank_changes_nothing(bank: MemoryBank) -> None:
    bank.remember(Kind.NOTE, "I adopted a cat named Miso", T0)
    calls = len(bank.embedder.calls)  # type: ignore[attr-defined]
    report = bank.reconcile()
    assert report.consistent
    assert len(bank.embedder.calls) == calls  # type: ignore[attr-defined]
    assert_in_step(bank)


def test_reconcile_works_in_batches(bank: MemoryBank) -> None:
    for i in range(7):
        bank.store.add_memory(Kind.NOTE, f"note number {i}", T0)
    bank.reconcile(batch=3)
    assert bank.index.count() == 7
    assert_in_step(bank)


def test_quick_reconcile_indexes_unmarked_rows_without_listing_every_id(
    bank: MemoryBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank.remember(Kind.NOTE, "I adopted a cat named Miso", T0)
    bank.store.add_memory(Kind.NOTE, "My sister Alice lives in Lisbon", T0)  # crash: no vector

    def no_full_scan() -> set[str]:
        raise AssertionError("the quick path listed every id")

    monkeypatch.setattr(bank.index, "ids", no_full_scan)
    report = bank.reconcile(quick=True)
    assert (report.missing, report.orphans) == (1, 0)
    monkeypatch.undo()
    assert_in_step(bank)


@pytest.mark.parametrize("damage", ["lost vector", "orphan vector"])
def test_quick_reconcile_falls_back_to_comparing_ids_when_the_counts_differ(
    bank: MemoryBank, damage: str
) -> None:
    kept = bank.remember(Kind.NOTE, "I adopted a cat named Miso", T0)
    other = bank.remember(Kind.NOTE, "My sister Alice lives in Lisbon", T0)
    if damage == "lost vector":
        bank.index.delete([other.id])  # still marked indexed in SQLite
    else:
        bank.index.upsert(["orphan-from-a-deleted-memory"], bank.embedder.embed(["Miso"]))
    report = bank.reconcile(quick=True)
    expected = (1, 0) if damage == "lost vector" else (0, 1)
    assert (report.missing, report.orphans) == expected
    assert bank.index.ids() == {kept.id, other.id}
    assert_in_step(bank)


def test_failed_index_write_keeps_the_memory_and_reconcile_indexes_it_once(
    bank: MemoryBank,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    expect_warnings: ExpectWarnings,
) -> None:
    first = bank.remember(Kind.NOTE, "I adopted a cat named Miso", T0)

    def broken_upsert(ids: list[str], vectors: npt.NDArray[np.float32]) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bank.index, "upsert", broken_upsert)
    # The memory is committed, so remember() succeeds; the vector is left for reconcile().
    with expect_warnings("will retry: disk full", logger="memory.bank"):
        kept = bank.remember(Kind.NOTE, "My sister Alice lives in Lisbon", T0)
    assert kept.text == "My sister Alice lives in Lisbon"

    # SQLite has it, unindexed; the index does not.
    assert bank.store.count_memories() == 2
    pending = bank.store.unindexed()
    assert [m.text for m in pending] == ["My sister Alice lives in Lisbon"]
    assert bank.index.ids() == {first.id}

    # While the index is still broken, reconcile fails loudly and loses nothing.
    with (
        expect_warnings("will retry: disk full", logger="memory.bank"),
        pytest.raises(VectorIndexError),
    ):
        bank.reconcile()
    assert [m.id for m in bank.store.unindexed()] == [pending[0].id]

    monkeypatch.undo()
    bank.reconcile()
    bank.reconcile()  # a second pass is a no-op: upserts never duplicate
    assert bank.index.count() == bank.store.count_memories() == 2
    assert_in_step(bank)
    results = bank.recall("Where does my sister Alice live?", T0)
    assert results[0].memory.id == pending[0].id


def test_a_new_embedder_gets_its_own_collection(tmp_path: Path) -> None:
    first = make_bank(tmp_path)
    first.remember(Kind.NOTE, "I adopted a cat named Miso", T0)
    first.close()
    first.store.close()

    class OtherEmbedder(HashEmbedder):
        model_id = "fake/other"

    second = make_bank(tmp_path, embedder=OtherEmbedder(dim=32))
    try:
        assert second.index.count() == 0
        assert second.index_report().missing == 1
        second.reconcile()
        assert_in_step(second)
    finally:
        second.close()
        second.store.close()

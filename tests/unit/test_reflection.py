"""Reflection stores an insight only when two memories support it, every content word grounded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from memory.bank import MemoryBank
from memory.consolidation.grounding import grounded, supporting, unsupported_words
from memory.consolidation.hierarchy import Commit, Derived, HierarchyStore
from memory.consolidation.reflection import Reflector
from memory.records import Kind
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, ScriptedLLM, make_bank

FACTS = [
    "The user lives in Lisbon.",
    "The user works as a nurse at the children's hospital.",
    "The user talked about their job at the hospital.",
]
DOCTOR = "The user's job is a doctor and lives in a hospital."


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[MemoryBank]:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    items = [Derived(Kind.FACT, f, f"fact:test:{i}", T0, 3.0) for i, f in enumerate(FACTS)]
    HierarchyStore(store).commit(T0, Commit(items=items))
    yield bank
    bank.close()
    store.close()


def test_the_doctor_insight_from_a_nurse_is_not_stored(bank: MemoryBank) -> None:
    source = "\n".join(f"- {f}" for f in FACTS)
    assert grounded(DOCTOR, source, 0.7)  # the old whole-source check let it through
    assert unsupported_words(DOCTOR, FACTS) == ["doctor"]
    report = Reflector(bank, ScriptedLLM([f"- {DOCTOR}\n"])).run(T0)
    assert report.counts.get("reflections", 0) == 0
    assert report.failures
    assert HierarchyStore(bank.store).of_kind(Kind.REFLECTION) == []


def test_an_insight_from_two_memories_in_their_own_words_is_stored(bank: MemoryBank) -> None:
    insight = "The user lives in Lisbon and works as a nurse at the children's hospital."
    assert len(supporting(insight, FACTS)) >= 2
    llm = ScriptedLLM([f"- {insight}\n- {DOCTOR}\n"])
    report = Reflector(bank, llm).run(T0)
    assert report.counts["reflections"] == 1
    stored = HierarchyStore(bank.store).of_kind(Kind.REFLECTION)
    assert [m.text for m in stored] == [insight]


def test_an_insight_drawn_from_one_memory_only_is_not_stored(bank: MemoryBank) -> None:
    only_lisbon = "The user lives in Lisbon, in Lisbon."
    assert len(supporting(only_lisbon, FACTS)) == 1
    report = Reflector(bank, ScriptedLLM([f"- {only_lisbon}\n"])).run(T0)
    assert report.counts.get("reflections", 0) == 0

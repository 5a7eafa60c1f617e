"""Forget is complete: no row, keyword entry, vector, derived item or exported trace remains."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from memory.archive.reader import read_archive
from memory.archive.writer import export_archive
from memory.bank import MemoryBank
from memory.consolidation.consolidator import Consolidator
from memory.lifecycle.erase import forget
from memory.records import Kind, State
from memory.storage import audit
from tests.unit.archive_util import populate
from tests.unit.fakes import T0, StepLLM, make_bank, say


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[MemoryBank]:
    b = make_bank(tmp_path / "data")
    yield b
    b.close()
    b.store.close()


def test_forgetting_a_turn_leaves_no_trace_anywhere(bank: MemoryBank, tmp_path: Path) -> None:
    chat = bank.store.create_conversation("Chat", T0)
    say(bank, chat.id, "My cat is called Miso", T0)
    say(bank, chat.id, "My secret diary is hidden in Zanzibar", T0 + timedelta(minutes=1))
    later = T0 + timedelta(hours=2)
    Consolidator(bank, StepLLM()).run(later)
    secret = next(m for m in bank.store.memories() if "Zanzibar" in m.text and m.kind is Kind.TURN)
    derived = [m for m in bank.store.memories() if "Zanzibar" in m.text and m.id != secret.id]
    assert derived  # the session summary and daily summary repeat it

    report = forget(bank, [secret.id], later)

    assert report.forgotten == (secret.id,)
    assert set(report.derived) >= {m.id for m in derived}
    gone = {secret.id, *report.derived}
    assert not bank.store.all_memory_ids() & gone
    assert not bank.index.ids() & gone
    assert bank.index.ids() == bank.store.all_memory_ids()
    assert bank.store.rows("SELECT * FROM memories_fts WHERE memories_fts MATCH 'zanzibar'") == []
    assert bank.store.keyword_search("Zanzibar") == []
    for table in ("messages", "memories", "reply_memories", "memory_links", "recall_events"):
        rows = bank.store.rows(f"SELECT * FROM {table}")
        assert "Zanzibar" not in repr(rows), table
    assert "Zanzibar" not in repr(audit.entries(bank.store, limit=1000))
    assert [e.event for e in audit.entries(bank.store, memory_id=secret.id)][0] == "forgotten"
    # Not even in the database files' bytes (secure_delete, FTS optimize, WAL truncated).
    for path in (tmp_path / "data").glob("membank.sqlite3*"):
        assert b"Zanzibar" not in path.read_bytes() and b"zanzibar" not in path.read_bytes()
    # A later export does not hold it.
    archive = export_archive(bank.store, tmp_path / "after.membank", later).path
    contents = read_archive(archive)
    assert "Zanzibar" not in repr(contents.records)
    # Consolidation rebuilds the derived items from what remains.
    Consolidator(bank, StepLLM()).run(later + timedelta(minutes=5))
    summaries = [m for m in bank.store.memories() if m.kind is Kind.SESSION_SUMMARY]
    assert summaries and all("Zanzibar" not in m.text for m in summaries)
    assert any("Miso" in m.text for m in summaries)


def test_forgetting_a_newer_fact_makes_the_older_one_current(bank: MemoryBank) -> None:
    ids = populate(bank)
    report = forget(bank, [ids["berlin"]], T0 + timedelta(days=2))
    paris = bank.store.memory(ids["paris"])
    assert paris.state is State.ACTIVE and paris.superseded_by is None
    assert report.derived == ()
    assert bank.index.ids() == bank.store.all_memory_ids()


def test_forgetting_a_used_memory_removes_its_usage_and_recall_events(bank: MemoryBank) -> None:
    ids = populate(bank)
    used = bank.store.rows("SELECT DISTINCT memory_id FROM reply_memories")
    victim = used[0]["memory_id"]
    forget(bank, [victim], T0 + timedelta(days=2))
    assert not bank.store.rows("SELECT * FROM reply_memories WHERE memory_id = ?", [victim])
    assert not bank.store.rows("SELECT * FROM recall_events WHERE memory_id = ?", [victim])
    assert ids["note"] in bank.store.all_memory_ids() or victim == ids["note"]


def test_forgetting_an_unknown_id_does_nothing(bank: MemoryBank) -> None:
    assert forget(bank, ["nope"], T0).forgotten == ()

"""The consistency checker finds each kind of damage, and the repair heals it (real SQLite and
Chroma, hash embedder)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from memory.consolidation.hierarchy import HierarchyStore
from memory.storage.consistency import check
from memory.storage.index import ChromaIndex
from memory.storage.repair import mark_interrupted_jobs, repair_index, repair_store
from tests.unit.archive_util import populate
from tests.unit.fakes import T0, HashEmbedder, make_bank


def _raw(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "membank.sqlite3", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn


def test_a_sound_store_is_clean(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    populate(bank)
    mark_interrupted_jobs(bank.store)
    report = check(bank.store, bank.index)
    assert report.clean, report.as_json()
    assert report.counts["memories"] == report.counts["vectors"] > 0
    assert set(report.checked) >= {"sqlite_integrity", "fts", "vectors", "dangling_links"}


def test_each_kind_of_damage_is_found_and_repaired(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    populate(bank)
    store = bank.store
    ids = sorted(store.all_memory_ids())
    bank.index.delete(ids[:2])  # two vectors lost
    bank.index.upsert(["ghost"], np.ones((1, bank.embedder.dim), dtype=np.float32))
    HierarchyStore(store).start_job("daily", T0)  # a run left 'running' by a killed process
    raw = _raw(tmp_path)
    num, text = raw.execute("SELECT num, text FROM memories LIMIT 1").fetchone()
    raw.execute(
        "INSERT INTO memories_fts(memories_fts, rowid, text) VALUES('delete', ?, ?)", [num, text]
    )
    linked = raw.execute("SELECT source_id FROM memory_links LIMIT 1").fetchone()[0]
    raw.execute("DELETE FROM memories WHERE id = ?", [linked])  # FKs off: links now dangle
    raw.execute("DELETE FROM conversations WHERE id = (SELECT min(id) FROM conversations)")
    raw.close()

    report = check(store, bank.index)
    assert {"vectors_missing", "vector_orphans", "jobs_left_running", "fts_out_of_step"} <= (
        report.names()
    )
    assert "dangling_links" in report.names()
    assert all(f.detail and f.repair for f in report.findings)

    done = repair_store(store, report, T0)
    bank.close()
    bank2, more, _ = repair_index(
        report,
        tmp_path / "chroma",
        lambda: make_bank(tmp_path, store=store),
    )
    assert any("keyword index" in d for d in done)
    assert any("Recovered conversation" in d for d in done)
    assert any("Indexed" in d for d in more) and any("Deleted" in d for d in more)
    after = check(store, bank2.index)
    assert after.clean, after.as_json()
    assert "Recovered conversation" in [c.title for c in store.conversations()]


def test_duplicate_derived_items_are_found_and_the_oldest_kept(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    populate(bank)
    raw = _raw(tmp_path)
    raw.execute("DROP INDEX memories_by_derive_key")  # what a bug would need to get past it
    row = raw.execute("SELECT * FROM memories WHERE derive_key IS NOT NULL LIMIT 1").fetchone()
    cols = [d[1] for d in raw.execute("PRAGMA table_info(memories)")]
    values = dict(zip(cols, row, strict=True))
    values.pop("num")
    values["id"] = "copy-of-" + values["id"]
    raw.execute(
        f"INSERT INTO memories ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )
    raw.close()
    report = check(bank.store, bank.index)
    assert "derived_duplicates" in report.names()
    repair_store(bank.store, report, T0)
    assert "copy-of-" + str(row[1]) not in bank.store.all_memory_ids()
    assert str(row[1]) in bank.store.all_memory_ids()


def test_an_unreadable_index_folder_is_rebuilt_from_the_store(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    populate(bank)
    bank.close()
    (tmp_path / "chroma" / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    embedder = HashEmbedder()
    try:
        index: ChromaIndex | None = ChromaIndex(tmp_path / "chroma", embedder.model_id, 64)
        error = ""
    except Exception as exc:  # noqa: BLE001 - what the doctor does
        index, error = None, str(exc)
    report = check(bank.store, index, error)
    assert "index_unreadable" in report.names()
    bank2, done, _ = repair_index(
        report, tmp_path / "chroma", lambda: make_bank(tmp_path, store=bank.store)
    )
    assert any("Rebuilt" in d for d in done)
    assert check(bank.store, bank2.index).clean
    bank2.close()

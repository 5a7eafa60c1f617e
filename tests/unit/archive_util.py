"""Helpers for the archive tests: a store with every kind of record, table dumps, zip surgery."""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from memory.bank import MemoryBank
from memory.consolidation.hierarchy import Commit, Derived, HierarchyStore
from memory.records import Kind
from tests.unit.fakes import T0, say

TABLES = (
    "conversations",
    "messages",
    "memories",
    "memory_links",
    "reply_memories",
    "recall_events",
    "job_runs",
    "audit_log",
)


def populate(bank: MemoryBank) -> dict[str, str]:
    """Two conversations, turns, a note, a summary and facts (one superseding another) with
    their links, a reply that used memories, a recall event and a job run. Returns some ids."""
    store = bank.store
    h = HierarchyStore(store)
    c1 = store.create_conversation("Pets", T0)
    m1 = say(bank, c1.id, "My cat is called Miso", T0)
    m2 = say(bank, c1.id, "I live in Paris", T0 + timedelta(minutes=1))
    c2 = store.create_conversation("Moving", T0 + timedelta(days=1))
    m3 = say(bank, c2.id, "I moved to Berlin", T0 + timedelta(days=1))
    note = bank.remember(Kind.NOTE, "Buy oat milk on Friday", T0)
    turns = h.turn_ids_for_messages([m1.id, m2.id, m3.id])
    paris = Derived(Kind.FACT, "The user lives in Paris.", "fact:1:2:0", T0, 3.0, (turns[1],))
    h.commit(
        T0,
        Commit(
            items=[
                Derived(
                    Kind.SESSION_SUMMARY,
                    "The user has a cat called Miso and lives in Paris.",
                    f"session_summary:{c1.id}:2026-05-01",
                    T0,
                    2.0,
                    tuple(turns[:2]),
                    (m1.id, m2.id),
                    c1.id,
                ),
                paris,
            ]
        ),
    )
    berlin = Derived(Kind.FACT, "The user moved to Berlin.", "fact:2:3:0", T0, 3.0, (turns[2],))
    h.commit(T0 + timedelta(days=1), Commit(items=[berlin], supersede=[(paris.id, berlin.id)]))
    bank.reconcile()
    reply = store.add_message(c1.id, "assistant", "Your cat is Miso.", T0 + timedelta(minutes=2))
    used = bank.recall("What is my cat called?", T0 + timedelta(minutes=2))
    bank.strengthen(used, T0 + timedelta(minutes=2), reply.id)
    run = h.start_job("consolidate", T0)
    h.finish_job(run, T0, {"session_summaries": 1})
    return {"note": note.id, "paris": paris.id, "berlin": berlin.id, "cat_turn": turns[0]}


def dump(bank: MemoryBank) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (and the keyword index), for before/after comparisons."""
    out = {t: bank.store.rows(f"SELECT * FROM {t} ORDER BY rowid") for t in TABLES}
    out["fts"] = bank.store.rows("SELECT rowid, text FROM memories_fts ORDER BY rowid")
    return out


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_zip(path: Path, content: dict[str, bytes] | list[tuple[str, bytes]]) -> Path:
    items = content.items() if isinstance(content, dict) else content
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore", UserWarning)  # a duplicate name is what some tests want
        for name, data in items:
            zf.writestr(name, data)
    return path


def resealed(content: dict[str, bytes], **manifest_changes: Any) -> dict[str, bytes]:
    """`content` with the manifest's checksums and sizes recomputed (so deeper checks run)."""
    manifest = json.loads(content["manifest.json"])
    manifest["members"] = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in content.items()
        if name != "manifest.json"
    }
    manifest.update(manifest_changes)
    return {**content, "manifest.json": json.dumps(manifest).encode()}


def records(content: dict[str, bytes], record_type: str) -> list[dict[str, Any]]:
    lines = content[f"{record_type}.jsonl"].decode().splitlines()
    return [json.loads(line) for line in lines if line]


def with_records(
    content: dict[str, bytes], record_type: str, rows: list[dict[str, Any]]
) -> dict[str, bytes]:
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    return {**content, f"{record_type}.jsonl": data}

"""Heal what `memory.storage.consistency` finds; every step says what it did, in plain words."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from memory.bank import IndexReport, MemoryBank
from memory.clock import to_db
from memory.storage.consistency import ConsistencyReport, dangling
from memory.storage.index import drop_index_folder
from memory.storage.store import SQLiteStore

log = logging.getLogger(__name__)


def mark_interrupted_jobs(store: SQLiteStore) -> int:
    """Job runs still 'running' were cut off: only one membank runs per data folder (the lock),
    so at start-up none of them can still be going."""
    if not store.rows("SELECT 1 FROM job_runs WHERE status = 'running' LIMIT 1"):
        return 0  # and no write, so a read-only data folder still opens
    with store.transaction() as db:
        cursor = db.conn.execute(
            "UPDATE job_runs SET status = 'interrupted' WHERE status = 'running'"
        )
    return int(cursor.rowcount)


def repair_store(store: SQLiteStore, report: ConsistencyReport, now: datetime) -> list[str]:
    """The SQLite-side repairs (keyword index, duplicates, dangling rows, cut-off jobs)."""
    done: list[str] = []
    found = report.names()
    if "derived_duplicates" in found:
        with store.transaction() as db:
            cursor = db.conn.execute(
                "DELETE FROM memories WHERE derive_key IS NOT NULL AND num NOT IN "
                "(SELECT min(num) FROM memories WHERE derive_key IS NOT NULL GROUP BY derive_key)"
            )
        done.append(f"Deleted {cursor.rowcount} duplicate derived items (kept the oldest of each).")
    if "dangling_links" in found:
        done.append(_fix_dangling(store, now))
    if "fts_out_of_step" in found or "derived_duplicates" in found:
        with store.transaction() as db:
            db.conn.execute("INSERT INTO memories_fts(memories_fts) VALUES('rebuild')")
        done.append("Rebuilt the keyword index from the store.")
    if "jobs_left_running" in found:
        n = mark_interrupted_jobs(store)
        done.append(f"Marked {n} cut-off background job runs as interrupted.")
    return done


def _fix_dangling(store: SQLiteStore, now: datetime) -> str:
    rows = dangling(store)
    dropped = recovered = cleared = 0
    with store.transaction() as db:
        conn = db.conn
        for row in rows:
            table, rowid, parent = row["table"], row["rowid"], row["parent"]
            if table == "messages":
                (cid,) = conn.execute(
                    "SELECT conversation_id FROM messages WHERE rowid = ?", [rowid]
                ).fetchone()
                conn.execute(
                    "INSERT OR IGNORE INTO conversations (id, title, created_at, updated_at) "
                    "VALUES (?, 'Recovered conversation', ?, ?)",
                    [cid, to_db(now), to_db(now)],
                )
                recovered += 1
            elif table == "memories":
                conn.execute("UPDATE memories SET conversation_id = NULL WHERE rowid = ?", [rowid])
                cleared += 1
            elif table == "recall_events" and parent == "messages":
                conn.execute("UPDATE recall_events SET message_id = NULL WHERE rowid = ?", [rowid])
                cleared += 1
            else:
                conn.execute(f'DELETE FROM "{table}" WHERE rowid = ?', [rowid])  # noqa: S608
                dropped += 1
    return (
        f"Dropped {dropped} links/usage records to missing rows, put {recovered} orphan "
        f"messages in a 'Recovered conversation', cleared {cleared} references to missing rows."
    )


def repair_index(
    report: ConsistencyReport, index_dir: Path, open_bank: Callable[[], MemoryBank]
) -> tuple[MemoryBank, list[str], IndexReport]:
    """The Chroma-side repairs. An unreadable folder is deleted (it holds nothing the store
    lacks) and rebuilt; otherwise missing vectors are indexed and orphans deleted."""
    done: list[str] = []
    if "index_unreadable" in report.names():
        drop_index_folder(index_dir)
        done.append(f"Deleted the unreadable vector index folder {index_dir}.")
        log.info("vector index %s unreadable: deleted, rebuilding from the store", index_dir)
    bank = open_bank()
    fixed = bank.reconcile()
    if "index_unreadable" in report.names():
        done.append(f"Rebuilt the vector index from the store ({fixed.missing} memories).")
    else:
        if fixed.missing:
            done.append(f"Indexed {fixed.missing} memories that had no vector.")
        if fixed.orphans:
            done.append(f"Deleted {fixed.orphans} vectors that belonged to no memory.")
    return bank, done, fixed

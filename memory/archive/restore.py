"""Restore an archive: apply its validated contents to the store in ONE transaction, then index.

merge   keeps what is here and adds what is new. A memory is the same as one here when it has
        the same id, the same derive key, or the same content (kind, text and event time); the
        newer edit (updated_at) wins. Conversations and messages keep their integer ids unless
        the id is taken by a different one, in which case they get new ids and every reference
        (messages, memories' conversation and source messages, reply usage) is rewritten.
replace makes the store exactly the archive, after writing a backup archive of the store.

SQLite is the source of truth: the transaction commits all or nothing, and the Chroma index is
brought in step afterwards (archive vectors reused when the embedding model matches, otherwise
computed); a kill between the commit and the indexing is healed by reconcile() at start-up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from memory.archive.format import to_row
from memory.archive.reader import ArchiveContents
from memory.archive.writer import export_archive
from memory.bank import MemoryBank
from memory.clock import from_db, to_db
from memory.errors import ArchiveError, VectorIndexError
from memory.storage import audit
from models.private_files import private_dir

log = logging.getLogger(__name__)
Phase = Callable[[str], None]
MODES = ("merge", "replace")


@dataclass
class ImportReport:
    mode: str
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    remapped: dict[str, int] = field(default_factory=dict)  # integer ids that had to change
    backup: Path | None = None
    vectors_reused: int = 0
    vectors_computed: int = 0

    def count(self, bucket: dict[str, int], record_type: str, n: int = 1) -> None:
        bucket[record_type] = bucket.get(record_type, 0) + n


def _insert(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values()))


def _wipe(conn: sqlite3.Connection) -> None:
    for table in (
        "memory_neighbours",
        "memory_entities",
        "entity_aliases",
        "entities",
        "reply_memories",
        "recall_events",
        "memory_links",
        "memories",
        "messages",
        "conversations",
        "job_runs",
        "audit_log",
    ):
        conn.execute(f"DELETE FROM {table}")


class _Merge:
    """One import's id maps and counts, applied on one connection inside one transaction."""

    def __init__(self, conn: sqlite3.Connection, report: ImportReport, replace: bool) -> None:
        self.conn = conn
        self.report = report
        self.replace = replace
        self.conversations: dict[int, int] = {}
        self.messages: dict[int, int] = {}
        self.memories: dict[str, str] = {}
        self.written: dict[str, str] = {}  # archive memory id -> stored id, text from archive
        self.imported: list[tuple[str, dict[str, Any]]] = []  # audit entries, written last

    def _rows(self, sql: str) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def _next_id(self, table: str, incoming: list[dict[str, Any]]) -> int:
        here = self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        return max([int(here), *(int(r["id"]) for r in incoming)]) + 1

    def conversations_(self, records: list[dict[str, Any]]) -> None:
        here = {r["id"]: r for r in self._rows("SELECT * FROM conversations")}
        fresh = self._next_id("conversations", records)
        for c in records:
            mine = here.get(c["id"])
            if mine is not None and from_db(mine["created_at"]) == from_db(c["created_at"]):
                self.conversations[c["id"]] = c["id"]
                if from_db(c["updated_at"]) > from_db(mine["updated_at"]):
                    self.conn.execute(
                        "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                        [c["title"], c["updated_at"], c["id"]],
                    )
                    self.report.count(self.report.updated, "conversations")
                else:
                    self.report.count(self.report.skipped, "conversations")
                continue
            row = to_row("conversations", c)
            if mine is not None:
                row["id"], fresh = fresh, fresh + 1
                self.report.count(self.report.remapped, "conversations")
            _insert(self.conn, "conversations", row)
            self.conversations[c["id"]] = row["id"]
            self.report.count(self.report.added, "conversations")

    def messages_(self, records: list[dict[str, Any]]) -> None:
        here = {r["id"]: r for r in self._rows("SELECT * FROM messages")}
        fresh = self._next_id("messages", records)
        for m in records:
            row = to_row("messages", m)
            row["conversation_id"] = self.conversations[m["conversation_id"]]
            mine = here.get(m["id"])
            same = mine is not None and all(
                mine[k] == row[k] for k in ("conversation_id", "role", "text")
            )
            if (
                same
                and mine is not None
                and from_db(mine["created_at"]) == from_db(m["created_at"])
            ):
                self.messages[m["id"]] = m["id"]
                self.report.count(self.report.skipped, "messages")
                continue
            if mine is not None:
                row["id"], fresh = fresh, fresh + 1
                self.report.count(self.report.remapped, "messages")
            _insert(self.conn, "messages", row)
            self.messages[m["id"]] = row["id"]
            self.report.count(self.report.added, "messages")

    def memories_(self, records: list[dict[str, Any]]) -> None:
        here = self._rows("SELECT * FROM memories")
        by_id = {r["id"]: r for r in here}
        by_key = {r["derive_key"]: r for r in here if r["derive_key"] is not None}
        by_content = {_content(r): r for r in here}
        targets: dict[str, dict[str, Any] | None] = {m["id"]: by_id.get(m["id"]) for m in records}
        claimed = {t["id"] for t in targets.values() if t is not None}
        for m in records:  # then by derive key or content, each memory here taken once
            if targets[m["id"]] is not None:
                continue
            target = by_key.get(m["derive_key"]) if m["derive_key"] is not None else None
            target = target or by_content.get(_content(m))
            if target is not None and target["id"] not in claimed:
                claimed.add(target["id"])
                targets[m["id"]] = target
        for m in records:  # all ids known first, so forward references can be rewritten
            target = targets[m["id"]]
            self.memories[m["id"]] = target["id"] if target else m["id"]
        for m in records:
            row = to_row("memories", m)
            row["conversation_id"] = (
                None if m["conversation_id"] is None else self.conversations[m["conversation_id"]]
            )
            row["source_message_ids"] = json.dumps(
                [self.messages[i] for i in m["source_message_ids"]]
            )
            if m["superseded_by"] is not None:
                row["superseded_by"] = self.memories[m["superseded_by"]]
            target = targets[m["id"]]
            if target is None:
                if row["derive_key"] in by_key:  # its twin here was matched to another memory
                    row["derive_key"] = None
                _insert(self.conn, "memories", {**row, "indexed": 0})
                self.written[m["id"]] = m["id"]
                self.report.count(self.report.added, "memories")
                self.imported.append((m["id"], {"kind": m["kind"]}))
            elif from_db(m["updated_at"]) > from_db(target["updated_at"]):
                # A 1.0 archive says nothing of spaces: the memory stays in the one it is in here.
                unsaid = {"space", "shared"} - m.keys()
                keep = {"id", "derive_key", *unsaid}
                changed = {k: v for k, v in row.items() if k not in keep}
                sets = ", ".join(f"{k} = ?" for k in changed)
                self.conn.execute(
                    f"UPDATE memories SET {sets}, indexed = 0 WHERE id = ?",
                    [*changed.values(), target["id"]],
                )
                self.written[m["id"]] = target["id"]
                self.report.count(self.report.updated, "memories")
                self.imported.append((target["id"], {"kind": m["kind"], "updated": True}))
            else:
                self.report.count(self.report.skipped, "memories")

    def links_and_usage(self, records: dict[str, list[dict[str, Any]]]) -> None:
        for link in records["memory_links"]:
            a, b = self.memories[link["memory_id"]], self.memories[link["source_id"]]
            if a != b:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO memory_links VALUES (?, ?, ?)", [a, b, link["relation"]]
                )
                self.report.count(
                    self.report.added if cur.rowcount else self.report.skipped, "memory_links"
                )
        for r in records["reply_memories"]:
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO reply_memories VALUES (?, ?, ?, ?)",
                [
                    self.messages[r["message_id"]],
                    self.memories[r["memory_id"]],
                    r["rank"],
                    r["score"],
                ],
            )
            self.report.count(
                self.report.added if cur.rowcount else self.report.skipped, "reply_memories"
            )
        for e in records["recall_events"]:
            memory_id = self.memories[e["memory_id"]]
            message_id = None if e["message_id"] is None else self.messages[e["message_id"]]
            exists = self.conn.execute(
                "SELECT 1 FROM recall_events WHERE memory_id = ? AND at = ? AND message_id IS ?",
                [memory_id, e["at"], message_id],
            ).fetchone()
            if exists:
                self.report.count(self.report.skipped, "recall_events")
                continue
            _insert(
                self.conn,
                "recall_events",
                {**to_row("recall_events", e), "memory_id": memory_id, "message_id": message_id},
            )
            self.report.count(self.report.added, "recall_events")

    def history(self, records: dict[str, list[dict[str, Any]]], now: datetime) -> None:
        """Job runs are a machine's history: taken on replace, or by a store that has none yet
        (a new machine carries on). Audit entries merge."""
        empty = not self.conn.execute("SELECT 1 FROM job_runs LIMIT 1").fetchone()
        if self.replace or empty:
            for j in records["job_runs"]:
                _insert(self.conn, "job_runs", to_row("job_runs", j))
            if records["job_runs"]:
                self.report.count(self.report.added, "job_runs", len(records["job_runs"]))
        for a in records["audit_log"]:
            row = to_row("audit_log", a)
            if a["memory_id"] is not None:
                row["memory_id"] = self.memories.get(a["memory_id"], a["memory_id"])
            if not self.replace:
                del row["id"]
                exists = self.conn.execute(
                    "SELECT 1 FROM audit_log WHERE at = ? AND event = ? AND actor = ? "
                    "AND memory_id IS ?",
                    [row["at"], row["event"], row["actor"], row["memory_id"]],
                ).fetchone()
                if exists:
                    continue
            _insert(self.conn, "audit_log", row)
            self.report.count(self.report.added, "audit_log")
        for memory_id, detail in self.imported:
            audit.record(self.conn, now, "imported", "import", memory_id, detail)


def graph_entities(
    conn: sqlite3.Connection,
    memories: dict[str, str],
    records: list[dict[str, Any]],
    report: ImportReport,
) -> None:
    """The archive's entities (1.2): one here that has any of its names takes it in, else it is
    added; an alias another entity here already has stays with that one. Memories the archive
    links are marked in the graph; the others (and every memory of a 1.0/1.1 archive) are
    linked anew by the next `index_pending`."""
    for entity in records:
        names = [a for a in entity["aliases"] if a]
        here = None
        for alias in names:
            row = conn.execute(
                "SELECT entity_id FROM entity_aliases WHERE alias = ?", [alias]
            ).fetchone()
            if row is not None:
                here = int(row[0])
                break
        if here is None:
            cur = conn.execute(
                "INSERT INTO entities(name, kind, created_at) VALUES (?, ?, ?)",
                [entity["name"], entity["kind"], entity["created_at"]],
            )
            here = int(cur.lastrowid or 0)
            report.count(report.added, "entities")
        else:
            report.count(report.skipped, "entities")
        for alias in names:
            conn.execute(
                "INSERT OR IGNORE INTO entity_aliases(alias, entity_id) VALUES (?, ?)",
                [alias, here],
            )
        for memory_id, role in entity["memories"]:
            mapped = memories.get(memory_id, memory_id)
            conn.execute(
                "INSERT OR IGNORE INTO memory_entities(memory_id, entity_id, role) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM memories WHERE id = ?)",
                [mapped, here, role, mapped],
            )
            conn.execute("UPDATE memories SET graphed = 1 WHERE id = ?", [mapped])


def _content(row: dict[str, Any]) -> tuple[str, str, str]:
    """Same kind, same words, same moment: the same memory even under another id. (Kind and text
    alone would merge two different turns that both said "yes".)"""
    return (row["kind"], " ".join(row["text"].split()), to_db(from_db(row["event_time"])))


def import_archive(
    bank: MemoryBank,
    contents: ArchiveContents,
    now: datetime,
    *,
    mode: str = "merge",
    backup_dir: Path | None = None,
    on_phase: Phase = lambda _: None,
) -> ImportReport:
    """Apply `contents` (already validated by read_archive) in one transaction, then index."""
    if mode not in MODES:
        raise ArchiveError(f"Unknown import mode {mode!r}: use merge or replace.")
    report = ImportReport(mode)
    if mode == "replace":
        if backup_dir is None:
            raise ArchiveError("A replacing import needs a folder for its backup archive.")
        private_dir(backup_dir)
        name = f"before-import-{now.astimezone().strftime('%Y%m%d-%H%M%S')}.membank"
        report.backup = export_archive(bank.store, backup_dir / name, now, bank=bank).path
    store = bank.store
    try:
        with store.transaction() as db:
            conn = db.conn
            merge = _Merge(conn, report, replace=mode == "replace")
            if mode == "replace":
                _wipe(conn)
            merge.conversations_(contents.records["conversations"])
            on_phase("inserting")
            merge.messages_(contents.records["messages"])
            merge.memories_(contents.records["memories"])
            merge.links_and_usage(contents.records)
            graph_entities(conn, merge.memories, contents.records["entities"], report)
            merge.history(contents.records, now)
    except (sqlite3.Error, ValueError, KeyError) as exc:
        raise ArchiveError(
            f"The archive could not be applied ({type(exc).__name__}: {exc}); the store is "
            "unchanged. Report this with the archive's manifest."
        ) from exc
    on_phase("committed")
    _index(bank, contents, merge.written, report)
    return report


def _index(
    bank: MemoryBank, contents: ArchiveContents, written: dict[str, str], report: ImportReport
) -> None:
    """Reuse the archive's vectors when they come from this embedding model; reconcile the rest."""
    model = contents.embedding_model
    vectors = contents.vectors
    if vectors is not None and model == (bank.embedder.model_id, bank.embedder.dim) and written:
        rows = {m["id"]: i for i, m in enumerate(contents.records["memories"])}
        archive_ids = list(written)
        ids = [written[a] for a in archive_ids]
        with contextlib.suppress(VectorIndexError):
            try:
                bank.index.upsert(ids, vectors[[rows[a] for a in archive_ids]])
            except Exception as exc:  # noqa: BLE001 - reconcile() below computes them instead
                log.warning("reusing archive vectors failed, computing them: %s", exc)
                raise VectorIndexError(str(exc)) from exc
            bank.store.set_indexed(ids)
            report.vectors_reused = len(ids)
    before = len(bank.store.unindexed(limit=1_000_000))
    bank.reconcile()
    report.vectors_computed = before

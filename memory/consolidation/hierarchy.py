"""Store access for the memory hierarchy: sessions, derived items and their links, job runs."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from memory.clock import from_db, to_db
from memory.lifecycle.decay import DecayPolicy
from memory.records import PERSONAL, JobRun, Kind, Link, Memory, State
from memory.storage import audit
from memory.storage.memory_rows import memory_from_row
from memory.storage.store import SQLiteStore


def in_space(key: str, space: str) -> str:
    """The derive key of a space's own overview (daily and global summary and persona); the
    personal space keeps the plain key, as stores from before spaces have it."""
    return key if space == PERSONAL else f"{key}@{space}"


# What the session summaries already hold: the user turns (by message id) and the notes.
_SUMMARISED_MESSAGES = (
    "SELECT CAST(j.value AS INTEGER) FROM memories s, json_each(s.source_message_ids) j "
    "WHERE s.kind = 'session_summary'"
)
_SUMMARISED_NOTES = (
    "SELECT l.source_id FROM memory_links l JOIN memories s ON s.id = l.memory_id "
    "WHERE s.kind = 'session_summary' AND l.relation = 'derived_from'"
)


@dataclass(frozen=True)
class Session:
    """The user's turns in one conversation on one (local) day: the unit that gets summarised."""

    conversation_id: int
    day: str  # YYYY-MM-DD in the user's time zone
    message_ids: tuple[int, ...]
    texts: tuple[str, ...]
    first_at: datetime
    last_at: datetime
    space: str = PERSONAL  # the conversation's
    # Notes the user asked to keep outside any chat ("remember this"): a day's notes are a
    # session of their own, so they feed summaries, facts and persona as turns do.
    note_ids: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        if self.note_ids:
            return f"session_summary:{in_space('notes', self.space)}:{self.day}"
        return f"session_summary:{self.conversation_id}:{self.day}"

    @property
    def fact_key_stem(self) -> str:
        if self.note_ids:
            return f"notes:{self.note_ids[-1]}"
        return f"{self.conversation_id}:{self.message_ids[-1]}"


@dataclass(frozen=True)
class Derived:
    """A derived memory to insert, or to update in place when its `derive_key` already exists."""

    kind: Kind
    text: str
    derive_key: str
    event_time: datetime
    strength: float
    sources: tuple[str, ...] = ()  # memory ids it was derived from
    source_message_ids: tuple[int, ...] = ()
    conversation_id: int | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    space: str = PERSONAL


@dataclass
class Commit:
    """Everything one consolidation step writes, applied in a single transaction."""

    items: list[Derived] = field(default_factory=list)
    supersede: list[tuple[str, str]] = field(default_factory=list)  # (old id, new id)
    # A duplicate is never stored twice: the existing memory is confirmed (S += boost) instead.
    strengthen: list[str] = field(default_factory=list)


class HierarchyStore:
    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    # --- reading ---------------------------------------------------------------------------

    def sessions(self, utc_offset_minutes: int, *, unconsolidated: bool = False) -> list[Session]:
        """The user's sessions, every turn of each. `unconsolidated`: only those with a turn or
        note that no session summary holds yet; SQLite finds them, so a run reads the new part
        of the history, not all of it."""
        offset = f"{utc_offset_minutes:+d} minutes"
        where = "m.role = 'user'"
        params: list[Any] = [offset]
        if unconsolidated:
            where += (
                " AND (m.conversation_id, date(m.created_at, ?)) IN ("
                "SELECT conversation_id, date(created_at, ?) FROM messages WHERE role = 'user' "
                f"AND id NOT IN ({_SUMMARISED_MESSAGES}))"
            )
            params += [offset, offset]
        rows = self.store.rows(
            "SELECT m.id, m.conversation_id, m.text, m.created_at, c.space, "
            "date(m.created_at, ?) AS day FROM messages m "
            f"JOIN conversations c ON c.id = m.conversation_id WHERE {where} "
            "ORDER BY m.conversation_id, m.id",
            params,
        )
        groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault((r["conversation_id"], r["day"]), []).append(r)
        return [
            Session(
                cid,
                day,
                tuple(r["id"] for r in items),
                tuple(r["text"] for r in items),
                from_db(items[0]["created_at"]),
                from_db(items[-1]["created_at"]),
                items[0]["space"] or PERSONAL,
            )
            for (cid, day), items in groups.items()
        ] + self._note_sessions(offset, unconsolidated)

    def _note_sessions(self, offset: str, unconsolidated: bool) -> list[Session]:
        notes = "kind = 'note' AND source_message_ids = '[]' AND state != 'superseded'"
        where = notes
        params: list[Any] = [offset]
        if unconsolidated:
            where += (
                " AND (date(created_at, ?), space) IN ("
                f"SELECT date(created_at, ?), space FROM memories WHERE {notes} "
                f"AND id NOT IN ({_SUMMARISED_NOTES}))"
            )
            params += [offset, offset]
        rows = self.store.rows(
            "SELECT id, text, created_at, space, date(created_at, ?) AS day "
            f"FROM memories WHERE {where} ORDER BY created_at, num",
            params,
        )
        days: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in rows:
            days.setdefault((r["day"], r["space"] or PERSONAL), []).append(r)
        return [
            Session(
                0,
                day,
                (),
                tuple(r["text"] for r in items),
                from_db(items[0]["created_at"]),
                from_db(items[-1]["created_at"]),
                space=space,
                note_ids=tuple(r["id"] for r in items),
            )
            for (day, space), items in days.items()
        ]

    def by_key(self, derive_key: str) -> Memory | None:
        rows = self.store.rows("SELECT * FROM memories WHERE derive_key = ?", [derive_key])
        return memory_from_row(rows[0]) if rows else None

    def by_key_prefix(self, prefix: str) -> list[Memory]:
        rows = self.store.rows(
            "SELECT * FROM memories WHERE derive_key >= ? AND derive_key < ? ORDER BY derive_key",
            [prefix, prefix + "\uffff"],
        )
        return [memory_from_row(r) for r in rows]

    def of_kind(self, kind: Kind, *, active_only: bool = True) -> list[Memory]:
        sql = "SELECT * FROM memories WHERE kind = ?"
        if active_only:
            sql += " AND state = 'active'"
        rows = self.store.rows(sql + " ORDER BY event_time, num", [str(kind)])
        return [memory_from_row(r) for r in rows]

    def turn_ids_for_messages(self, message_ids: Sequence[int]) -> list[str]:
        wanted = set(message_ids)
        rows = self.store.rows(
            "SELECT id, source_message_ids FROM memories WHERE kind IN ('turn', 'note')"
        )
        return [r["id"] for r in rows if wanted.intersection(json.loads(r["source_message_ids"]))]

    def turns_by_message(self, message_ids: Sequence[int]) -> dict[int, list[str]]:
        """The turn (or note) memories holding each of `message_ids`, in stored order."""
        wanted = set(message_ids)
        rows = self.store.rows(
            "SELECT id, source_message_ids FROM memories WHERE kind IN ('turn', 'note')"
        )
        out: dict[int, list[str]] = {}
        for r in rows:
            for mid in wanted.intersection(json.loads(r["source_message_ids"])):
                out.setdefault(mid, []).append(r["id"])
        return out

    def links(self, memory_id: str) -> list[Link]:
        """Links from and to `memory_id`."""
        rows = self.store.rows(
            "SELECT * FROM memory_links WHERE memory_id = ? OR source_id = ?",
            [memory_id, memory_id],
        )
        return [Link(r["memory_id"], r["source_id"], r["relation"]) for r in rows]

    def sources(self, memory_id: str, relation: str = "derived_from") -> list[str]:
        rows = self.store.rows(
            "SELECT source_id FROM memory_links WHERE memory_id = ? AND relation = ?",
            [memory_id, relation],
        )
        return [r["source_id"] for r in rows]

    def updates_for(self, memories: Sequence[Memory]) -> dict[str, str]:
        """memory id -> the current fact that updates what it says.

        A memory built from the same messages as a since-superseded fact ("I live in Paris", or
        the summary of that chat) stays a true record of what was said, but recall must bring
        the update ("moved to Berlin") along with it.
        """
        rows = self.store.rows(
            "SELECT id, superseded_by, source_message_ids FROM memories "
            "WHERE kind = 'fact' AND state = 'superseded'"
        )
        if not rows:
            return {}
        newest = {r["id"]: r["superseded_by"] for r in rows}

        def current(fact_id: str) -> str:
            for _ in range(50):  # Paris -> Berlin -> Rome: follow to the current fact
                if fact_id not in newest:
                    break
                fact_id = newest[fact_id]
            return fact_id

        stale = [(set(json.loads(r["source_message_ids"])), current(r["id"])) for r in rows]
        updates: dict[str, str] = {}
        for memory in memories:
            said = set(memory.source_message_ids)
            for messages, fact_id in stale:
                if said & messages and fact_id != memory.id:
                    updates.setdefault(memory.id, fact_id)
        return updates

    # --- writing ---------------------------------------------------------------------------

    def commit(self, now: datetime, commit: Commit, decay: DecayPolicy | None = None) -> list[str]:
        """Apply `commit` atomically; returns the ids written (new or updated, not locked).

        A new derived memory starts at least as strong as the strongest of its sources, so a
        summary of a note lasts as long as the note; a confirmed duplicate is strengthened as a
        recall would strengthen it."""
        decay = decay or DecayPolicy()
        written: list[str] = []
        with self.store.transaction() as db:
            conn = db.conn
            for item in commit.items:
                row = conn.execute(
                    "SELECT id, locked FROM memories WHERE derive_key = ?", [item.derive_key]
                ).fetchone()
                if row is not None:
                    memory_id, locked = row
                    if locked:
                        continue  # the user's edit wins over consolidation
                    conn.execute(
                        "UPDATE memories SET text = ?, event_time = ?, updated_at = ?, indexed = 0,"
                        " source_message_ids = ?, strength = max(strength, ?) WHERE id = ?",
                        [
                            item.text,
                            to_db(item.event_time),
                            to_db(now),
                            json.dumps(list(item.source_message_ids)),
                            _strongest(conn, item.sources),
                            memory_id,
                        ],
                    )
                    conn.execute(
                        "DELETE FROM memory_links WHERE memory_id = ? "
                        "AND relation = 'derived_from'",
                        [memory_id],
                    )
                    audit.record(conn, now, "edited", "consolidation", memory_id)
                else:
                    memory_id = item.id
                    strength = max(item.strength, _strongest(conn, item.sources))
                    conn.execute(
                        "INSERT INTO memories (id, kind, text, created_at, event_time, updated_at,"
                        " strength, conversation_id, source_message_ids, derive_key, space,"
                        " indexed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                        [
                            memory_id,
                            str(item.kind),
                            item.text,
                            to_db(now),
                            to_db(item.event_time),
                            to_db(now),
                            strength,
                            item.conversation_id,
                            json.dumps(list(item.source_message_ids)),
                            item.derive_key,
                            item.space,
                        ],
                    )
                    audit.record(
                        conn, now, "added", "consolidation", memory_id, {"kind": str(item.kind)}
                    )
                conn.executemany(
                    "INSERT OR IGNORE INTO memory_links (memory_id, source_id, relation)"
                    " VALUES (?, ?, 'derived_from')",
                    [(memory_id, s) for s in item.sources if s != memory_id],
                )
                written.append(memory_id)
            for old, new in commit.supersede:
                conn.execute(
                    "UPDATE memories SET state = ?, superseded_by = ?, updated_at = ? "
                    "WHERE id = ? AND pinned = 0",
                    [str(State.SUPERSEDED), new, to_db(now), old],
                )
                conn.execute(
                    "INSERT OR IGNORE INTO memory_links VALUES (?, ?, 'supersedes')", [new, old]
                )
                audit.record(conn, now, "superseded", "consolidation", old, {"by": new})
            for memory_id in commit.strengthen:
                found = db.query("SELECT * FROM memories WHERE id = ?", [memory_id])
                for row in found:
                    conn.execute(
                        "UPDATE memories SET strength = ?, last_recalled_at = ? WHERE id = ?",
                        [decay.strengthened(memory_from_row(row), now), to_db(now), memory_id],
                    )
                # A duplicate was folded into this memory instead of being stored again.
                audit.record(conn, now, "merged", "consolidation", memory_id)
        return written

    def set_state(self, memory_id: str, state: State, now: datetime) -> None:
        with self.store.transaction() as db:
            reset = ", last_recalled_at = ?" if state is State.ACTIVE else ""
            params: list[Any] = [str(state), to_db(now)]
            if reset:
                params.append(to_db(now))
            db.conn.execute(
                f"UPDATE memories SET state = ?, updated_at = ?{reset} WHERE id = ?",
                [*params, memory_id],
            )

    def fade(self, memory_ids: Sequence[str], now: datetime) -> None:
        with self.store.transaction() as db:
            for memory_id in memory_ids:
                changed = db.conn.execute(
                    "UPDATE memories SET state = 'faded', updated_at = ? "
                    "WHERE id = ? AND state = 'active' AND pinned = 0",
                    [to_db(now), memory_id],
                ).rowcount
                if changed:
                    audit.record(db.conn, now, "faded", "decay", memory_id)

    def set_flag(self, memory_id: str, flag: str, value: bool) -> None:
        if flag not in ("pinned", "locked"):
            raise ValueError(flag)
        with self.store.transaction() as db:
            db.conn.execute(f"UPDATE memories SET {flag} = ? WHERE id = ?", [int(value), memory_id])

    def edit_text(self, memory_id: str, text: str, now: datetime) -> None:
        """A user edit: new text, re-indexed, and locked against consolidation."""
        with self.store.transaction() as db:
            db.conn.execute(
                "UPDATE memories SET text = ?, updated_at = ?, indexed = 0, locked = 1 "
                "WHERE id = ?",
                [text, to_db(now), memory_id],
            )
            audit.record(db.conn, now, "edited", "user", memory_id)

    # --- job runs --------------------------------------------------------------------------

    def start_job(self, job: str, now: datetime) -> int:
        """Record a job start; a run still 'running' from before was cut off (crash or kill)."""
        with self.store.transaction() as db:
            db.conn.execute(
                "UPDATE job_runs SET status = 'interrupted' WHERE job = ? AND status = 'running'",
                [job],
            )
            cur = db.conn.execute(
                "INSERT INTO job_runs (job, started_at, status) VALUES (?, ?, 'running')",
                [job, to_db(now)],
            )
            return int(cur.lastrowid or 0)

    def finish_job(
        self,
        run_id: int,
        now: datetime,
        counts: dict[str, int],
        error: str | None = None,
        *,
        interrupted: bool = False,
    ) -> None:
        """`interrupted`: stopped part-way on purpose (quitting); the next run carries on. A run
        whose steps failed (their input kept, an extractive fallback stored) is `partial`."""
        status = (
            "interrupted"
            if interrupted
            else "failed"
            if error
            else "partial"
            if counts.get("failed_steps")
            else "ok"
        )
        with self.store.transaction() as db:
            db.conn.execute(
                "UPDATE job_runs SET finished_at = ?, status = ?, counts = ?, error = ? "
                "WHERE id = ?",
                [to_db(now), status, json.dumps(counts), error, run_id],
            )

    def job_runs(self, job: str | None = None, limit: int = 20) -> list[JobRun]:
        sql = "SELECT * FROM job_runs"
        params: list[Any] = []
        if job:
            sql += " WHERE job = ?"
            params.append(job)
        rows = self.store.rows(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
        return [
            JobRun(
                r["id"],
                r["job"],
                from_db(r["started_at"]),
                from_db(r["finished_at"]) if r["finished_at"] else None,
                r["status"],
                json.loads(r["counts"]),
                r["error"],
            )
            for r in rows
        ]

    def last_success(self, job: str) -> datetime | None:
        rows = self.store.rows(
            "SELECT max(started_at) AS at FROM job_runs WHERE job = ? "
            "AND status IN ('ok', 'partial')",
            [job],
        )
        return from_db(rows[0]["at"]) if rows and rows[0]["at"] else None


def _strongest(conn: sqlite3.Connection, ids: Sequence[str]) -> float:
    if not ids:
        return 0.0
    marks = ",".join("?" * len(ids))
    row = conn.execute(
        f"SELECT max(strength) FROM memories WHERE id IN ({marks}) AND kind != 'global_summary' "
        "AND kind != 'global_persona'",
        list(ids),
    ).fetchone()
    return float(row[0] or 0.0)

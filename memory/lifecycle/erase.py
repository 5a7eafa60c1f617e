"""Forget for real: a memory's row, keyword-index entries, vector and everything derived from it.

What goes, in one transaction:
- the memory, its reply usage, recall events and links (foreign keys cascade; the FTS5 rows go
  with the delete trigger), its graph edges, and any entity no remaining memory names;
- for a turn, the user message it was made of (the same words);
- every derived item built from it, transitively (session and daily summaries, facts, personas,
  global summary, reflections). They are keyed by derive key, so the next consolidation rebuilds
  them from what remains; a fact the forgotten one superseded becomes current again.
Then the vectors leave Chroma, and SQLite's free pages, FTS segments and WAL are scrubbed
(secure_delete, FTS optimize, a truncating checkpoint) so the text is not left on disk.
Audit entries record that something was forgotten, by id only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from memory.bank import MemoryBank
from memory.clock import to_db
from memory.storage import audit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForgetReport:
    forgotten: tuple[str, ...]  # the memories asked for
    derived: tuple[str, ...]  # derived items removed with them (rebuilt by consolidation)
    messages: tuple[int, ...]  # user messages removed with their turns


def forget(
    bank: MemoryBank, memory_ids: Sequence[str], now: datetime, actor: str = "user"
) -> ForgetReport:
    store = bank.store
    asked = [m.id for m in store.memories_by_ids(list(memory_ids)).values()]
    if not asked:
        return ForgetReport((), (), ())
    with store.transaction() as db:
        conn = db.conn
        doomed = set(asked)
        frontier = list(asked)
        while frontier:  # everything derived from them, at any depth
            marks = ",".join("?" * len(frontier))
            rows = conn.execute(
                f"SELECT DISTINCT memory_id FROM memory_links WHERE relation = 'derived_from' "
                f"AND source_id IN ({marks})",
                frontier,
            ).fetchall()
            frontier = [r[0] for r in rows if r[0] not in doomed]
            doomed.update(frontier)
        ids = sorted(doomed)
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT id, kind, source_message_ids FROM memories WHERE id IN ({marks})", ids
        ).fetchall()
        kinds = {r[0]: r[1] for r in rows}
        messages = sorted(
            {i for r in rows if r[0] in asked and r[1] == "turn" for i in json.loads(r[2])}
        )
        conn.execute(
            f"UPDATE memories SET state = 'active', superseded_by = NULL, updated_at = ? "
            f"WHERE superseded_by IN ({marks}) AND id NOT IN ({marks})",
            [to_db(now), *ids, *ids],
        )
        conn.execute(f"DELETE FROM memories WHERE id IN ({marks})", ids)
        if messages:
            conn.execute(
                f"DELETE FROM messages WHERE role = 'user' AND id IN "
                f"({','.join('?' * len(messages))})",
                messages,
            )
        # An entity no remaining memory names goes too: its name is memory text (the graph).
        conn.execute("DELETE FROM entities WHERE id NOT IN (SELECT entity_id FROM memory_entities)")
        for memory_id in ids:
            detail = {"kind": kinds.get(memory_id, "")}
            if memory_id not in asked:
                detail["because"] = "derived from a forgotten memory"
            audit.record(conn, now, "forgotten", actor, memory_id, detail)
    try:
        bank.index.delete(ids)
    except Exception as exc:  # noqa: BLE001 - reconcile() removes orphan vectors at start-up
        log.warning("removing %d forgotten vectors failed; reconcile will: %s", len(ids), exc)
    scrub(bank)
    derived = tuple(i for i in ids if i not in asked)
    return ForgetReport(tuple(asked), derived, tuple(messages))


def scrub(bank: MemoryBank) -> None:
    """Leave no copy of deleted text in SQLite's files: FTS segments merged, WAL truncated."""
    with bank.store.transaction() as db:
        db.conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")
        db.conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
    bank.store.rows("PRAGMA wal_checkpoint(TRUNCATE)")

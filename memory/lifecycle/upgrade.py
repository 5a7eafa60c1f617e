"""Stores written before the forgetting curve in days: strengths recomputed once (schema 7)."""

from __future__ import annotations

import logging
import math

from memory.clock import from_db
from memory.lifecycle.decay import SECONDS_PER_DAY, DecayPolicy
from memory.records import Kind
from memory.storage.store import SQLiteStore

log = logging.getLogger(__name__)
CURVE = 2  # memories.curve of rows whose strength is in today's units

# Sources before what is derived from them: a derived memory starts at least as strong.
_ORDER = [Kind.TURN, Kind.NOTE, Kind.SESSION_SUMMARY, Kind.FACT, Kind.DAILY_SUMMARY]


def upgrade_strengths(store: SQLiteStore, decay: DecayPolicy) -> int:
    """Recompute the strength of every memory still on the old curve: its initial stability by
    salience (at least its sources' for a derived memory), then each logged recall replayed
    with the spacing-effect gain. Faded ones become active again, for the next sweep to judge
    by the new curve (and the hold for consolidation). Returns how many were upgraded."""
    rows = store.rows("SELECT * FROM memories WHERE curve < ?", [CURVE])
    if not rows:
        return 0
    rank = {str(k): i for i, k in enumerate(_ORDER)}
    rows.sort(key=lambda r: (rank.get(r["kind"], len(_ORDER)), r["created_at"], r["num"]))
    strength: dict[str, float] = {}
    with store.transaction() as db:
        conn = db.conn
        for r in rows:
            sources = [
                s["source_id"]
                for s in db.query(
                    "SELECT source_id FROM memory_links WHERE memory_id = ? "
                    "AND relation = 'derived_from'",
                    [r["id"]],
                )
            ]
            s = max(
                [decay.initial(Kind(r["kind"]), r["text"])]
                + [strength[i] for i in sources if i in strength]
            )
            since = from_db(r["created_at"])
            events = list(
                db.query(
                    "SELECT rowid, at FROM recall_events WHERE memory_id = ? ORDER BY at",
                    [r["id"]],
                )
            )
            for event in events:
                at = from_db(event["at"])
                days = max(0.0, (at - since).total_seconds() / SECONDS_PER_DAY)
                s = decay.after_recall(s, math.exp(-days / s))
                conn.execute(
                    "UPDATE recall_events SET strength_after = ? WHERE rowid = ?",
                    [s, event["rowid"]],
                )
                since = at
            strength[r["id"]] = s
            conn.execute(
                "UPDATE memories SET strength = ?, curve = ?, state = CASE WHEN state = 'faded' "
                "AND pinned = 0 THEN 'active' ELSE state END WHERE id = ?",
                [s, CURVE, r["id"]],
            )
    log.info("forgetting curve: %d memories' strengths recomputed", len(rows))
    return len(rows)

"""Recall strengthens: S grows by the spacing effect, t restarts, and a faded memory revives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from memory.clock import to_db
from memory.lifecycle.decay import DecayPolicy
from memory.storage import audit
from memory.storage.memory_rows import memory_from_row
from memory.storage.store import SQLiteStore


def record_recall(
    store: SQLiteStore,
    decay: DecayPolicy,
    memory_ids: Sequence[str],
    now: datetime,
    message_id: int | None,
) -> None:
    """The memories a reply used: S grows (more the nearer they were to forgotten), the
    forgetting clock restarts, and a faded one that a strong cue brought back is active again
    (cued recall). Each recall is logged with S after it (the curve in the memory browser)."""
    if not memory_ids:
        return
    with store.transaction() as db:
        marks = ",".join("?" * len(memory_ids))
        rows = {
            r["id"]: r
            for r in db.query(f"SELECT * FROM memories WHERE id IN ({marks})", list(memory_ids))
        }
        for memory_id in dict.fromkeys(memory_ids):  # once each, in order
            row = rows.get(memory_id)
            if row is None:
                continue
            memory = memory_from_row(row)
            strength = decay.strengthened(memory, now)
            revive = memory.state.value == "faded"
            db.execute(
                "UPDATE memories SET strength = ?, last_recalled_at = ?, "
                "recall_count = recall_count + 1, state = CASE WHEN state = 'faded' "
                "THEN 'active' ELSE state END WHERE id = ?",
                [strength, to_db(now), memory_id],
            )
            if revive:
                audit.record(db.conn, now, "revived", "recall", memory_id)
            db.table("recall_events").insert(
                {
                    "memory_id": memory_id,
                    "at": to_db(now),
                    "message_id": message_id,
                    "strength_after": strength,
                }
            )

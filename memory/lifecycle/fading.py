"""The decay sweep: memories whose retention fell below the threshold fade out of recall."""

from __future__ import annotations

from datetime import datetime

from memory.consolidation.hierarchy import HierarchyStore
from memory.lifecycle.decay import DecayPolicy
from memory.records import State
from memory.storage.memory_rows import memory_from_row
from memory.storage.store import SQLiteStore


def sweep(store: SQLiteStore, decay: DecayPolicy, now: datetime, batch: int = 5000) -> int:
    """Mark faded memories (state 'faded'); returns how many. Nothing is deleted."""
    hierarchy = HierarchyStore(store)
    faded = 0
    last = 0
    while True:
        rows = store.rows(
            "SELECT * FROM memories WHERE state = 'active' AND pinned = 0 AND num > ? "
            "ORDER BY num LIMIT ?",
            [last, batch],
        )
        if not rows:
            return faded
        last = rows[-1]["num"]
        ids = [m.id for m in (memory_from_row(r) for r in rows) if decay.is_faded(m, now)]
        hierarchy.fade(ids, now)
        faded += len(ids)


def restore(store: SQLiteStore, memory_id: str, now: datetime) -> None:
    """Bring a faded memory back: active again, and its forgetting clock restarts now."""
    HierarchyStore(store).set_state(memory_id, State.ACTIVE, now)

"""The decay sweep: memories whose retention fell below the threshold fade out of ordinary recall.

Consolidation comes first: a memory fades only once something that lasts longer holds what it
said (an active summary, fact or persona derived from it), or, when nothing has consolidated it,
once it has also gone `hold_days` unrecalled (the scheduler off or the model failing for weeks).
Nothing is deleted: a faded memory still answers a strong cue (cued recall) and can be restored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from memory.clock import to_db
from memory.consolidation.hierarchy import HierarchyStore
from memory.lifecycle.decay import NEVER_FADE, DecayPolicy
from memory.records import State
from memory.storage.memory_rows import memory_from_row
from memory.storage.store import SQLiteStore

# Rows with an active memory derived from them (a summary or fact holds what they said).
_HELD = (
    "SELECT DISTINCT l.source_id FROM memory_links l JOIN memories d ON d.id = l.memory_id "
    "WHERE l.relation = 'derived_from' AND d.state = 'active' AND l.source_id IN ({marks})"
)


# Candidates only: active, unpinned rows whose curve has passed the threshold, computed by SQLite
# (days since the last recall > S * -ln threshold) so that the daily sweep builds no Python
# object for the many rows still well inside their curve. Each candidate is checked again below.
_DUE = (
    "SELECT * FROM memories WHERE state = 'active' AND pinned = 0 AND num > ? "
    "AND kind NOT IN ({never}) "
    "AND julianday(?) - julianday(COALESCE(last_recalled_at, created_at)) >= strength * ? "
    "ORDER BY num LIMIT ?"
)


def sweep(store: SQLiteStore, decay: DecayPolicy, now: datetime, batch: int = 5000) -> int:
    """Mark faded memories (state 'faded'); returns how many. Nothing is deleted."""
    hierarchy = HierarchyStore(store)
    faded = 0
    last = 0
    hold = timedelta(days=decay.hold_days)
    sql = _DUE.format(never=",".join(f"'{k}'" for k in sorted(NEVER_FADE)))
    # A hair under the exact bound: SQLite's julianday rounds to the millisecond.
    days_per_strength = decay.fade_after_days(1.0) * 0.999
    while True:
        rows = store.rows(sql, [last, to_db(now), days_per_strength, batch])
        if not rows:
            return faded
        last = rows[-1]["num"]
        due = [m for m in (memory_from_row(r) for r in rows) if decay.is_faded(m, now)]
        waiting = [m.id for m in due if now - (m.last_recalled_at or m.created_at) < hold]
        held = _held(store, waiting)
        ids = [m.id for m in due if m.id not in held]
        hierarchy.fade(ids, now)
        faded += len(ids)


def _held(store: SQLiteStore, ids: list[str]) -> set[str]:
    """Of `ids`, those held back from fading: no longer-lasting memory holds them yet."""
    covered: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = store.rows(_HELD.format(marks=",".join("?" * len(chunk))), chunk)
        covered.update(r["source_id"] for r in rows)
    return set(ids) - covered


def restore(store: SQLiteStore, memory_id: str, now: datetime) -> None:
    """Bring a faded memory back: active again, and its forgetting clock restarts now."""
    HierarchyStore(store).set_state(memory_id, State.ACTIVE, now)


def faded_share(store: SQLiteStore, kind: str = "turn") -> float:
    """The share of `kind` memories that have faded (0-1)."""
    rows = store.rows(
        "SELECT count(*) AS n, sum(state = 'faded') AS f FROM memories WHERE kind = ?", [kind]
    )
    n = int(rows[0]["n"] or 0)
    return (int(rows[0]["f"] or 0) / n) if n else 0.0

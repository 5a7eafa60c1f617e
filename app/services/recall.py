"""What chat and search recall: memories minus the overview kinds, with knowledge updates."""

from __future__ import annotations

from datetime import datetime

from app.services.events import Overview
from memory.bank import MemoryBank
from memory.consolidation.hierarchy import HierarchyStore, in_space
from memory.records import PERSONAL, Kind, Memory, Recalled, State
from memory.storage.store import SQLiteStore

IN_SYSTEM_PROMPT = frozenset({Kind.GLOBAL_PERSONA, Kind.GLOBAL_SUMMARY, Kind.DAILY_PERSONA})


def overview(store: SQLiteStore, space: str = PERSONAL) -> Overview:
    """The persona and summary of `space`; another space has its own, and the personal ones
    join it only when marked shared."""
    h = HierarchyStore(store)

    def of_space(key: str) -> Memory | None:
        own = h.by_key(in_space(key, space))
        personal = h.by_key(key)
        return own or (personal if personal is not None and personal.shared else None)

    return Overview(
        of_space("global_persona"),
        of_space("global_summary"),
        tuple(h.of_kind(Kind.REFLECTION)),
        tuple(h.of_kind(Kind.FACT)),
    )


def recall(
    bank: MemoryBank,
    query: str,
    now: datetime,
    k: int | None = None,
    space: str | None = None,
) -> list[Recalled]:
    """Recall, minus what the system prompt holds anyway, with knowledge updates brought in:
    a memory whose fact was superseded is preceded by the newer fact (the newest wins).
    `space`: that space's memories and the shared ones only (None: every space)."""
    store = bank.store
    # Ask for a few extra: the overview kinds are dropped here and must not cost slots.
    want = k or bank.retriever.settings.k
    hierarchy = HierarchyStore(store)
    found = [
        r
        for r in bank.recall(query, now, want + len(IN_SYSTEM_PROMPT), space)
        if r.memory.kind not in IN_SYSTEM_PROMPT
    ][:want]
    updates = hierarchy.updates_for([r.memory for r in found])
    if not updates:
        return found
    newer = store.memories_by_ids(sorted(set(updates.values())))
    out: list[Recalled] = []
    seen: set[str] = set()
    for item in found:
        update = newer.get(updates.get(item.memory.id, ""))
        if update is not None and update.id not in seen and update.state is State.ACTIVE:
            retention = bank.decay.retention(update, now)
            out.append(Recalled(update, item.score, None, retention))
            seen.add(update.id)
        if item.memory.id not in seen:
            out.append(item)
            seen.add(item.memory.id)
    return out[:want]

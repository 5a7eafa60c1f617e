"""What chat and search recall: memories minus the overview kinds, with knowledge updates."""

from __future__ import annotations

from datetime import datetime

from app.services.events import Overview
from memory.bank import MemoryBank
from memory.consolidation.hierarchy import HierarchyStore, in_space
from memory.consolidation.slot_facts import WORDS
from memory.records import PERSONAL, Kind, Memory, Recalled, State
from memory.storage.store import SQLiteStore

IN_SYSTEM_PROMPT = frozenset({Kind.GLOBAL_PERSONA, Kind.GLOBAL_SUMMARY, Kind.DAILY_PERSONA})
_RESTATES = frozenset({Kind.FACT, Kind.SESSION_SUMMARY})
_SAID = frozenset({Kind.TURN, Kind.NOTE})


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


def one_per_statement(found: list[Recalled], hierarchy: HierarchyStore) -> list[Recalled]:
    """One slot for one statement. A fact in the user's own words stands for the chat message
    it was made from (dated, in the third person, superseded when the user says otherwise); a
    note the user asked to keep stands in their words, and a summary gives way to the messages it
    summarises, when every one of its sources is recalled too."""
    by_id = {r.memory.id: r.memory for r in found}
    drop: set[str] = set()
    for r in found:
        m = r.memory
        if m.kind not in _RESTATES:
            continue
        sources = set(hierarchy.sources(m.id))
        if not sources or not sources <= by_id.keys():
            continue
        if not all(by_id[s].kind in _SAID for s in sources):
            continue  # a day's summary of its sessions' summaries stands (an old period's way in)
        if m.kind is not Kind.FACT:
            drop.add(m.id)  # the summary of messages all shown anyway
        elif (m.derive_key or "").startswith(WORDS):  # a slot's or model's fact always stands
            said_in_chat = all(by_id[s].kind is Kind.TURN for s in sources)
            drop |= sources if said_in_chat else {m.id}
    return [r for r in found if r.memory.id not in drop]


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
    found = one_per_statement(
        [
            r
            for r in bank.recall(query, now, want + len(IN_SYSTEM_PROMPT), space)
            if r.memory.kind not in IN_SYSTEM_PROMPT
        ],
        hierarchy,
    )[:want]
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

"""Cued recall: a recalled summary or fact leads to the turns it came from, faded ones included."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from memory.consolidation.grounding import content_words, stem
from memory.lifecycle.decay import DecayPolicy
from memory.records import Kind, Recalled
from memory.storage.memory_rows import memory_from_row
from memory.storage.store import SQLiteStore

# Derived memories whose sources are the user's own words (turns and notes).
SUMMARY_KINDS = frozenset({Kind.SESSION_SUMMARY, Kind.DAILY_SUMMARY})
LEADS = frozenset({Kind.SESSION_SUMMARY, Kind.FACT})
PER_PARENT = 2  # source turns brought along by one summary or fact


def cue_words(text: str) -> frozenset[str]:
    """The meaningful words of a cue or a memory, by Snowball stem."""
    return frozenset(stem(w) for w in content_words(text))


class _Vectors(Protocol):
    def vectors(self, ids: list[str]) -> dict[str, npt.NDArray[np.float32]]: ...


def lead_to_sources(
    store: SQLiteStore,
    index: _Vectors,
    decay: DecayPolicy,
    vector: npt.NDArray[np.float32] | None,
    results: list[Recalled],
    now: datetime,
    *,
    top: int,
    k: int,
    min_similarity: float,
) -> list[Recalled]:
    """`results` with the source turns of the first `top` summaries or facts among the best `k`
    that match the query at `min_similarity` or closer (at most PER_PARENT each, best first),
    added (faded or not) if not there, each at the place its own score gives it: the parent's
    score times its similarity, or what it already had if higher. Placed right after a parent
    instead, three parents' turns took six of the first ten places from better matches
    (`bench recall --realtime --consolidate`, docs/benchmarks.md)."""
    if vector is None or top <= 0:
        return results
    parents = [r for r in results[:k] if r.memory.kind in LEADS][:top]
    if not parents:
        return results
    out = {r.memory.id: r for r in results}
    for parent in parents:
        rows = store.rows(
            "SELECT m.* FROM memory_links l JOIN memories m ON m.id = l.source_id "
            "WHERE l.memory_id = ? AND l.relation = 'derived_from' "
            "AND m.kind IN ('turn', 'note') AND m.state IN ('active', 'faded') LIMIT 200",
            [parent.memory.id],
        )
        if not rows:
            continue
        sources = {r["id"]: memory_from_row(r) for r in rows}
        stored = index.vectors(list(sources))
        scored = sorted(
            ((float(np.dot(vector, v)), mid) for mid, v in stored.items()),
            reverse=True,
        )
        for sim, mid in scored[:PER_PARENT]:
            if sim < min_similarity:
                break
            memory = sources[mid]
            led = parent.score * sim
            have = out.get(mid)
            if have is not None and have.score >= led:
                continue
            retention = decay.retention(memory, now)
            out[mid] = Recalled(memory, led, sim, retention, have.keyword_rank if have else None)
    return sorted(out.values(), key=lambda r: r.score, reverse=True)

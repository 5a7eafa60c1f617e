"""Cued recall: a recalled summary or fact leads to the turns it came from, faded ones included."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from memory.consolidation.grounding import content_words, stem
from memory.lifecycle.decay import DecayPolicy
from memory.records import Kind, Recalled, State
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
    """`results` with, right after each of the first `top` summaries or facts among the best
    `k`, its source turns that match the query at `min_similarity` or closer (at most
    PER_PARENT each, best first), moved up if already there, added (faded or not) if not."""
    if vector is None or top <= 0:
        return results
    parents = [r for r in results[:k] if r.memory.kind in LEADS][:top]
    if not parents:
        return results
    out = list(results)
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
        led: list[Recalled] = []
        for sim, mid in scored[:PER_PARENT]:
            if sim < min_similarity:
                break
            have = next((r for r in out if r.memory.id == mid), None)
            if have is not None:
                out.remove(have)
            memory = sources[mid]
            if memory.state is State.SUPERSEDED:
                continue
            retention = decay.retention(memory, now)
            led.append(have or Recalled(memory, parent.score * sim, sim, retention))
        at = out.index(parent) + 1
        out[at:at] = led
    return out

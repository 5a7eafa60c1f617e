"""Neighbouring turns of a conversation, and memories of a time span, read from the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from memory.clock import to_db
from memory.records import Kind, Memory
from memory.storage.memory_rows import memory_from_row
from memory.storage.store import SQLiteStore

# Turns further apart than this belong to different sittings: neither is the other's context.
SAME_SITTING_SECONDS = 6 * 3600

# The turn before and after each memory in the same conversation, ordered as they happened.
# The (conversation_id, event_time, num) index (schema 10) makes each lookup a short range scan
# of that conversation (the BETWEEN bounds it; an OR of the two orderings would not use it).
_NEIGHBOURS = """
SELECT m.id,
  (SELECT p.id FROM memories p
    WHERE p.kind = 'turn' AND p.conversation_id = m.conversation_id
      AND p.event_time BETWEEN :floor_{i} AND m.event_time
      AND (p.event_time < m.event_time OR p.num < m.num)
    ORDER BY p.event_time DESC, p.num DESC LIMIT 1) AS previous,
  (SELECT n.id FROM memories n
    WHERE n.kind = 'turn' AND n.conversation_id = m.conversation_id
      AND n.event_time BETWEEN m.event_time AND :ceiling_{i}
      AND (n.event_time > m.event_time OR n.num > m.num)
    ORDER BY n.event_time ASC, n.num ASC LIMIT 1) AS following
FROM memories m WHERE m.id = :id_{i} AND m.kind = 'turn' AND m.conversation_id IS NOT NULL
"""


def neighbour_turns(
    store: SQLiteStore, memories: Sequence[Memory]
) -> dict[str, tuple[str | None, str | None]]:
    """(previous, next) turn ids of each turn memory, within one sitting of the conversation."""
    turns = [m for m in memories if m.kind is Kind.TURN and m.conversation_id is not None]
    out: dict[str, tuple[str | None, str | None]] = {}
    for start in range(0, len(turns), 200):
        chunk = turns[start : start + 200]
        params: dict[str, str] = {}
        parts = []
        for i, m in enumerate(chunk):
            params[f"id_{i}"] = m.id
            params[f"floor_{i}"] = _shifted(m.event_time, -SAME_SITTING_SECONDS)
            params[f"ceiling_{i}"] = _shifted(m.event_time, SAME_SITTING_SECONDS)
            parts.append(_NEIGHBOURS.format(i=i))
        for row in store.rows(" UNION ALL ".join(parts), params):
            out[row["id"]] = (row["previous"], row["following"])
    return out


def memories_between(
    store: SQLiteStore, start: datetime, end: datetime, limit: int
) -> list[Memory]:
    """Active memories whose event happened in [start, end), the latest first; faded summaries
    of the span too (an old period stays reachable through its summaries)."""
    rows = store.rows(
        # kind IN (every kind) lets SQLite use the (kind, event_time) index, one range per kind.
        f"SELECT * FROM memories WHERE kind IN ({','.join('?' * len(Kind))}) "
        "AND event_time >= ? AND event_time < ? AND (state = 'active' OR (state = 'faded' "
        "AND kind IN ('session_summary', 'daily_summary'))) "
        "ORDER BY event_time DESC, num DESC LIMIT ?",
        [*(str(k) for k in Kind), to_db(start), to_db(end), limit],
    )
    return [memory_from_row(r) for r in rows]


def _shifted(when: datetime, seconds: int) -> str:
    return to_db(when + timedelta(seconds=seconds))

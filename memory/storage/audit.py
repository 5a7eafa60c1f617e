"""The audit log of memory changes: who added, edited, superseded, forgot or imported what, when.

Entries hold ids, kinds and counts, never memory text, so a forgotten memory leaves only the fact
that something was forgotten.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from memory.clock import from_db, to_db


class RowReader(Protocol):
    """What reading the log needs of the store (the store imports this module, not the reverse)."""

    def rows(self, sql: str, params: Sequence[Any] = ...) -> list[dict[str, Any]]: ...


EVENTS = (
    "added",
    "edited",
    "superseded",
    "faded",
    "revived",
    "forgotten",
    "imported",
    "merged",
    "accessed",
)
ACTORS = ("user", "consolidation", "import", "decay", "recall", "mcp")
# An app connected over MCP is the actor `mcp:<its client name>` (app/mcp/gateway.py).
APP_PREFIX = "mcp:"


def known_actor(actor: str) -> bool:
    return actor in ACTORS or (actor.startswith(APP_PREFIX) and len(actor) > len(APP_PREFIX))


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    event: str
    actor: str
    memory_id: str | None
    detail: dict[str, Any]


def record(
    conn: sqlite3.Connection,
    at: datetime,
    event: str,
    actor: str,
    memory_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an entry inside the caller's transaction, so it commits (or not) with the change."""
    if event not in EVENTS or not known_actor(actor):
        raise ValueError(f"unknown audit event/actor {event!r}/{actor!r}")
    conn.execute(
        "INSERT INTO audit_log (at, event, actor, memory_id, detail) VALUES (?, ?, ?, ?, ?)",
        [to_db(at), event, actor, memory_id, json.dumps(detail or {}, sort_keys=True)],
    )


def entries(
    store: RowReader, *, memory_id: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Newest first."""
    sql = "SELECT * FROM audit_log"
    params: list[Any] = []
    if memory_id:
        sql += " WHERE memory_id = ?"
        params.append(memory_id)
    rows = store.rows(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
    return [
        AuditEntry(
            r["id"],
            from_db(r["at"]),
            r["event"],
            r["actor"],
            r["memory_id"],
            json.loads(r["detail"]),
        )
        for r in rows
    ]

"""Memory rows: add, read and list memories; which replies used them; recall strengthening."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from memory.clock import from_db, to_db
from memory.errors import NotFoundError
from memory.records import PERSONAL, Kind, Memory, State
from memory.storage import audit
from memory.storage.sqlite import SQLiteBase


class MemoryRows(SQLiteBase):
    """The `memories`, `reply_memories` and `recall_events` tables."""

    def add_memory(
        self,
        kind: Kind,
        text: str,
        now: datetime,
        *,
        event_time: datetime | None = None,
        strength: float = 1.0,
        conversation_id: int | None = None,
        source_message_ids: Iterable[int] = (),
        memory_id: str | None = None,
        space: str = PERSONAL,
        actor: str = "user",
    ) -> Memory:
        memory_id = memory_id or uuid.uuid4().hex
        with self.transaction() as db:
            db.table("memories").insert(
                {
                    "id": memory_id,
                    "kind": str(kind),
                    "text": text,
                    "created_at": to_db(now),
                    "event_time": to_db(event_time or now),
                    "updated_at": to_db(now),
                    "strength": strength,
                    "conversation_id": conversation_id,
                    "source_message_ids": json.dumps(list(source_message_ids)),
                    "indexed": 0,
                    "space": space,
                }
            )
            audit.record(db.conn, now, "added", actor, memory_id, {"kind": str(kind)})
        return self.memory(memory_id)

    def memory(self, memory_id: str) -> Memory:
        """A memory by id, or by a unique prefix of at least 4 characters."""
        rows = self.rows("SELECT * FROM memories WHERE id = ?", [memory_id])
        if not rows and len(memory_id) >= 4:
            rows = self.rows(
                "SELECT * FROM memories WHERE id LIKE ? LIMIT 2", [memory_id.replace("%", "") + "%"]
            )
            if len(rows) > 1:
                raise NotFoundError(f"More than one memory id starts with {memory_id!r}.")
        if not rows:
            raise NotFoundError(f"There is no memory {memory_id!r}.")
        return memory_from_row(rows[0])

    def memories_by_ids(self, ids: Sequence[str]) -> dict[str, Memory]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.rows(f"SELECT * FROM memories WHERE id IN ({marks})", list(ids))
        return {r["id"]: memory_from_row(r) for r in rows}

    def memories(
        self,
        *,
        kinds: Sequence[Kind] | None = None,
        limit: int = 100,
        offset: int = 0,
        space: str | None = None,
    ) -> list[Memory]:
        """Newest first; `space`: only that space's memories and the shared ones."""
        sql = "SELECT * FROM memories WHERE 1"
        params: list[Any] = []
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params += [str(k) for k in kinds]
        if space is not None:
            sql += " AND (space = ? OR shared = 1)"
            params.append(space)
        sql += " ORDER BY event_time DESC, num DESC LIMIT ? OFFSET ?"
        return [memory_from_row(r) for r in self.rows(sql, [*params, limit, offset])]

    def spaces(self) -> list[str]:
        """Every space in use ('personal' always), sorted."""
        rows = self.rows(
            "SELECT DISTINCT space FROM memories UNION SELECT DISTINCT space FROM conversations"
        )
        return sorted({PERSONAL, *(r["space"] for r in rows)})

    def set_space(self, memory_id: str, space: str, shared: bool) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE memories SET space = ?, shared = ? WHERE id = ?",
                [space, int(shared), memory_id],
            )

    def count_memories(self) -> int:
        return int(self.rows("SELECT count(*) AS n FROM memories")[0]["n"])

    def set_indexed(self, ids: Sequence[str], indexed: bool = True) -> None:
        with self.transaction() as db:
            db.conn.executemany(
                "UPDATE memories SET indexed = ? WHERE id = ?", [(int(indexed), i) for i in ids]
            )

    def unindexed(self, limit: int = 1000) -> list[Memory]:
        rows = self.rows("SELECT * FROM memories WHERE indexed = 0 LIMIT ?", [limit])
        return [memory_from_row(r) for r in rows]

    def count_unindexed(self) -> int:
        return int(self.rows("SELECT count(*) AS n FROM memories WHERE indexed = 0")[0]["n"])

    def all_memory_ids(self) -> set[str]:
        return {r["id"] for r in self.rows("SELECT id FROM memories")}

    def record_recall(
        self, memory_ids: Sequence[str], now: datetime, message_id: int | None, boost: float
    ) -> None:
        """Strengthen memories that were used: S += boost, t resets (last_recalled_at = now)."""
        with self.transaction() as db:
            for memory_id in memory_ids:
                db.execute(
                    "UPDATE memories SET strength = strength + ?, last_recalled_at = ?, "
                    "recall_count = recall_count + 1 WHERE id = ?",
                    [boost, to_db(now), memory_id],
                )
                strength = db.execute(
                    "SELECT strength FROM memories WHERE id = ?", [memory_id]
                ).fetchone()[0]
                db.table("recall_events").insert(
                    {
                        "memory_id": memory_id,
                        "at": to_db(now),
                        "message_id": message_id,
                        "strength_after": strength,
                    }
                )

    def record_reply_memories(self, message_id: int, ranked: Sequence[tuple[str, float]]) -> None:
        with self.transaction() as db:
            db.table("reply_memories").insert_all(
                {"message_id": message_id, "memory_id": mid, "rank": i, "score": score}
                for i, (mid, score) in enumerate(ranked)
            )

    def used_memories(self, message_ids: Sequence[int]) -> dict[int, list[Memory]]:
        if not message_ids:
            return {}
        marks = ",".join("?" * len(message_ids))
        rows = self.rows(
            f"SELECT r.message_id AS used_by, m.* FROM reply_memories r "
            f"JOIN memories m ON m.id = r.memory_id WHERE r.message_id IN ({marks}) "
            f"ORDER BY r.message_id, r.rank",
            list(message_ids),
        )
        used: dict[int, list[Memory]] = {}
        for r in rows:
            used.setdefault(r["used_by"], []).append(memory_from_row(r))
        return used

    def recall_events(self, memory_id: str) -> list[tuple[datetime, float]]:
        """When this memory was recalled, oldest first, with its strength after each recall."""
        rows = self.rows(
            "SELECT at, strength_after FROM recall_events WHERE memory_id = ? ORDER BY at",
            [memory_id],
        )
        return [(from_db(r["at"]), float(r["strength_after"])) for r in rows]

    def replies_using(self, memory_id: str) -> list[int]:
        rows = self.rows(
            "SELECT message_id FROM reply_memories WHERE memory_id = ? ORDER BY message_id",
            [memory_id],
        )
        return [int(r["message_id"]) for r in rows]


def memory_from_row(r: dict[str, Any]) -> Memory:
    return Memory(
        id=r["id"],
        kind=Kind(r["kind"]),
        text=r["text"],
        created_at=from_db(r["created_at"]),
        event_time=from_db(r["event_time"]),
        strength=float(r["strength"]),
        last_recalled_at=from_db(r["last_recalled_at"]) if r["last_recalled_at"] else None,
        pinned=bool(r["pinned"]),
        state=State(r["state"]),
        conversation_id=r["conversation_id"],
        source_message_ids=tuple(json.loads(r["source_message_ids"] or "[]")),
        recall_count=int(r["recall_count"]),
        locked=bool(r.get("locked", 0)),
        superseded_by=r.get("superseded_by"),
        derive_key=r.get("derive_key"),
        space=r.get("space") or PERSONAL,
        shared=bool(r.get("shared", 0)),
    )

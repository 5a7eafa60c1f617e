"""MemoryGraph: entities and links in SQLite, built incrementally as memories are stored.

Tables (schema migrations 8 and 9): `entities`, `entity_aliases`, `memory_entities` (memory-entity
edges; the speaker of an imported turn is an edge with role 'speaker'), `memory_neighbours`
(a new memory linked to the latest earlier memory naming the same entity, with the reason, as
A-MEM links notes). Facts and summaries already link to their source turns in `memory_links`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from memory.clock import to_db
from memory.errors import EntityError
from memory.graph import resolve as res
from memory.graph.extract import (
    COMMON as COMMON_ALIASES,
)
from memory.graph.extract import KINDS, PERSON, Mention, extract, normalise, speaker_of
from memory.records import Memory
from memory.storage.memory_rows import memory_from_row
from memory.storage.store import SQLiteStore

log = logging.getLogger(__name__)

LINKS_PER_MEMORY = 3  # memory-memory links a new memory gets, at most


@dataclass(frozen=True)
class Entity:
    id: int
    name: str
    kind: str
    aliases: tuple[str, ...]
    memories: int  # how many memories name it


@dataclass(frozen=True)
class Neighbour:
    memory_id: str
    other_id: str
    reason: str


class MemoryGraph:
    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    # -- building -------------------------------------------------------------------------
    def link_pending(self, batch: int = 500, most: int | None = None) -> int:
        """Extract and link the memories not yet in the graph (new, edited, or from before it),
        at most `most` of them (None: all). O(pending); the `graphed` mark makes it safe to call
        at any time, and to stop and carry on later."""
        done = 0
        while most is None or done < most:
            rows = self.store.rows(
                "SELECT * FROM memories WHERE graphed = 0 ORDER BY event_time, num LIMIT ?",
                [batch],
            )
            if not rows:
                return done
            self.link([memory_from_row(r) for r in rows])
            done += len(rows)
        return done

    def link(self, memories: Sequence[Memory]) -> None:
        """Add `memories` to the graph, in one transaction (an entity is dated by the memory
        that first named it)."""
        with self.store.transaction() as db:
            conn = db.conn
            for memory in memories:
                self._link_one(conn, memory)
            marks = ",".join("?" * len(memories))
            conn.execute(
                f"UPDATE memories SET graphed = 1 WHERE id IN ({marks})", [m.id for m in memories]
            )

    def _link_one(self, conn: sqlite3.Connection, memory: Memory) -> None:
        conn.execute("DELETE FROM memory_entities WHERE memory_id = ?", [memory.id])
        conn.execute("DELETE FROM memory_neighbours WHERE memory_id = ?", [memory.id])
        speaker = speaker_of(memory.text)
        if speaker:
            entity = res.resolve(conn, Mention(speaker, PERSON), memory.created_at)
            _edge(conn, memory.id, entity, "speaker")
        linked = 0
        for mention in extract(memory.text):
            if mention.initial:  # sentence case: only a name already known (or its short form)
                key = normalise(mention.name)
                known = res.entity_by_alias(conn, key)
                if known is None and key not in COMMON_ALIASES:
                    known = res.short_or_long_form(conn, key)
                    if known is not None:
                        res.add_alias(conn, known, key)
                if known is None:
                    continue
                entity = known
            else:
                entity = res.resolve(conn, mention, memory.created_at)
            _edge(conn, memory.id, entity, "mention")
            if linked < LINKS_PER_MEMORY:
                linked += _neighbour(conn, memory, entity)

    def rebuild(self) -> int:
        """Drop the whole graph and build it again from the memories (doctor --repair).
        Names the user gave (renames, aliases, merges) are lost with it; said so in doctor."""
        with self.store.transaction() as db:
            db.conn.execute("DELETE FROM memory_neighbours")
            db.conn.execute("DELETE FROM memory_entities")
            db.conn.execute("DELETE FROM entity_aliases")
            db.conn.execute("DELETE FROM entities")
            db.conn.execute("UPDATE memories SET graphed = 0")
        return self.link_pending()

    def prune(self) -> int:
        """Remove entities no memory names any more (after forgetting): their names are
        memory text too. Returns how many went."""
        with self.store.transaction() as db:
            cur = db.conn.execute(
                "DELETE FROM entities WHERE id NOT IN (SELECT entity_id FROM memory_entities)"
            )
            return int(cur.rowcount)

    def check(self) -> dict[str, int]:
        """What doctor reports: memories not yet linked, and entities nothing names."""
        pending = self.store.rows("SELECT count(*) AS n FROM memories WHERE graphed = 0")[0]["n"]
        orphans = self.store.rows(
            "SELECT count(*) AS n FROM entities "
            "WHERE id NOT IN (SELECT entity_id FROM memory_entities)"
        )[0]["n"]
        total = self.store.rows("SELECT count(*) AS n FROM entities")[0]["n"]
        return {"entities": int(total), "unlinked_memories": int(pending), "orphans": int(orphans)}

    # -- reading --------------------------------------------------------------------------
    def entities(self, kind: str | None = None, limit: int = 1000) -> list[Entity]:
        """Entities, the most-named first."""
        where, params = ("WHERE e.kind = ?", [kind]) if kind else ("", [])
        rows = self.store.rows(
            f"SELECT e.id, e.name, e.kind, "
            f"(SELECT count(*) FROM memory_entities me WHERE me.entity_id = e.id) AS n "
            f"FROM entities e {where} ORDER BY n DESC, e.name LIMIT ?",
            [*params, limit],
        )
        aliases = self._aliases([int(r["id"]) for r in rows])
        return [
            Entity(int(r["id"]), r["name"], r["kind"], aliases.get(int(r["id"]), ()), int(r["n"]))
            for r in rows
        ]

    def entity(self, name_or_id: str | int) -> Entity:
        """An entity by id or by any of its names; EntityError when there is none."""
        if isinstance(name_or_id, int) or str(name_or_id).isdigit():
            rows = self.store.rows("SELECT id FROM entities WHERE id = ?", [int(name_or_id)])
            found = int(rows[0]["id"]) if rows else None
        else:
            found = self._by_alias(normalise(str(name_or_id)))
        if found is None:
            raise EntityError(f"No person, place or thing called {name_or_id!r} is known.")
        return self._entity(found)

    def find(self, name: str) -> Entity | None:
        found = self._by_alias(normalise(name))
        return self._entity(found) if found is not None else None

    def timeline(self, entity_id: int, limit: int = 200) -> list[Memory]:
        """The latest `limit` memories naming the entity, in the order they happened
        (Theanine's timeline)."""
        rows = self.store.rows(
            "SELECT m.* FROM memory_entities me JOIN memories m ON m.id = me.memory_id "
            "WHERE me.entity_id = ? AND m.state != 'superseded' "
            "ORDER BY me.event_time DESC, me.num DESC LIMIT ?",
            [entity_id, limit],
        )
        return [memory_from_row(r) for r in reversed(rows)]

    def memory_ids_of(self, entity_id: int) -> list[str]:
        rows = self.store.rows(
            "SELECT memory_id FROM memory_entities WHERE entity_id = ?", [entity_id]
        )
        return [str(r["memory_id"]) for r in rows]

    def entity_ids_in_space(self, space: str) -> set[int]:
        rows = self.store.rows(
            "SELECT DISTINCT me.entity_id FROM memory_entities me JOIN memories m "
            "ON m.id = me.memory_id WHERE m.space = ? OR m.shared = 1",
            [space],
        )
        return {int(r["entity_id"]) for r in rows}

    def entities_of(self, memory_id: str) -> list[Entity]:
        rows = self.store.rows(
            "SELECT entity_id FROM memory_entities WHERE memory_id = ?", [memory_id]
        )
        return [self._entity(int(r["entity_id"])) for r in rows]

    def neighbours(self, memory_id: str) -> list[Neighbour]:
        rows = self.store.rows(
            "SELECT memory_id, other_id, reason FROM memory_neighbours "
            "WHERE memory_id = ? OR other_id = ?",
            [memory_id, memory_id],
        )
        return [Neighbour(r["memory_id"], r["other_id"], r["reason"]) for r in rows]

    # -- the user's corrections -----------------------------------------------------------
    def rename(self, entity_id: int, name: str) -> Entity:
        entity = self._entity(entity_id)
        key = normalise(name)
        if not key:
            raise EntityError(f"{name!r} cannot name an entity: give it some letters.")
        other = self._by_alias(key)
        if other is not None and other != entity.id:
            raise EntityError(
                f"{name!r} already names another entity ({self._entity(other).name}); "
                "merge the two instead."
            )
        with self.store.transaction() as db:
            db.conn.execute("UPDATE entities SET name = ? WHERE id = ?", [name.strip(), entity.id])
            res.add_alias(db.conn, entity.id, key)
        return self._entity(entity.id)

    def add_alias(self, entity_id: int, alias: str) -> Entity:
        entity = self._entity(entity_id)
        key = normalise(alias)
        if not key:
            raise EntityError(f"{alias!r} cannot be an alias: give it some letters.")
        other = self._by_alias(key)
        if other is not None and other != entity.id:
            raise EntityError(
                f"{alias!r} already names {self._entity(other).name}; merge the two instead."
            )
        with self.store.transaction() as db:
            res.add_alias(db.conn, entity.id, key)
        return self._entity(entity.id)

    def set_kind(self, entity_id: int, kind: str) -> Entity:
        if kind not in KINDS:
            raise EntityError(f"{kind!r} is not a kind of entity ({', '.join(KINDS)}).")
        entity = self._entity(entity_id)
        with self.store.transaction() as db:
            db.conn.execute("UPDATE entities SET kind = ? WHERE id = ?", [kind, entity.id])
        return self._entity(entity.id)

    def merge(self, source_id: int, target_id: int) -> Entity:
        """`source` becomes part of `target` (its names become aliases of it)."""
        if source_id == target_id:
            raise EntityError("An entity cannot be merged onto itself; nothing was changed.")
        source, target = self._entity(source_id), self._entity(target_id)
        with self.store.transaction() as db:
            res.merge_into(db.conn, source.id, target.id)
            res.add_alias(db.conn, target.id, normalise(source.name))
        return self._entity(target.id)

    # -- internals ------------------------------------------------------------------------
    def _entity(self, entity_id: int) -> Entity:
        rows = self.store.rows(
            "SELECT e.id, e.name, e.kind, "
            "(SELECT count(*) FROM memory_entities me WHERE me.entity_id = e.id) AS n "
            "FROM entities e WHERE e.id = ?",
            [entity_id],
        )
        if not rows:
            raise EntityError(f"There is no entity {entity_id}; nothing was changed.")
        r = rows[0]
        return Entity(
            int(r["id"]),
            r["name"],
            r["kind"],
            self._aliases([entity_id]).get(entity_id, ()),
            int(r["n"]),
        )

    def _by_alias(self, key: str) -> int | None:
        rows = self.store.rows("SELECT entity_id FROM entity_aliases WHERE alias = ?", [key])
        return int(rows[0]["entity_id"]) if rows else None

    def _aliases(self, ids: list[int]) -> dict[int, tuple[str, ...]]:
        if not ids:
            return {}
        rows = self.store.rows(
            f"SELECT entity_id, alias FROM entity_aliases WHERE entity_id IN "
            f"({','.join('?' * len(ids))}) ORDER BY alias",
            ids,
        )
        out: dict[int, list[str]] = {}
        for r in rows:
            out.setdefault(int(r["entity_id"]), []).append(str(r["alias"]))
        return {k: tuple(v) for k, v in out.items()}


def _edge(conn: sqlite3.Connection, memory_id: str, entity_id: int, role: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO memory_entities(memory_id, entity_id, role) VALUES (?, ?, ?)",
        [memory_id, entity_id, role],
    )


def _neighbour(conn: sqlite3.Connection, memory: Memory, entity_id: int) -> int:
    """Link `memory` to the latest earlier memory naming the same entity (1 if linked)."""
    row = conn.execute(
        "SELECT memory_id FROM memory_entities INDEXED BY memory_entities_by_role "
        "WHERE entity_id = ? AND role = 'mention' AND memory_id != ? AND event_time <= ? "
        "ORDER BY event_time DESC, num DESC LIMIT 1",
        [entity_id, memory.id, to_db(memory.event_time)],
    ).fetchone()
    if row is None:
        return 0
    name = conn.execute("SELECT name FROM entities WHERE id = ?", [entity_id]).fetchone()
    conn.execute(
        "INSERT OR IGNORE INTO memory_neighbours(memory_id, other_id, entity_id, reason) "
        "VALUES (?, ?, ?, ?)",
        [memory.id, row[0], entity_id, f"both mention {name[0] if name else 'it'}"],
    )
    return 1

"""Alias resolution: which entity a mention means ("my sister", "Jo", "Joanna"), on one
connection inside the caller's transaction."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from memory.clock import to_db
from memory.graph.extract import PERSON, Mention, normalise, relation_alias


def entity_by_alias(conn: sqlite3.Connection, alias: str) -> int | None:
    row = conn.execute("SELECT entity_id FROM entity_aliases WHERE alias = ?", [alias]).fetchone()
    return int(row[0]) if row else None


def add_alias(conn: sqlite3.Connection, entity_id: int, alias: str) -> None:
    """Point `alias` at the entity (an alias names one entity: the newest word wins)."""
    if alias:
        conn.execute(
            "INSERT INTO entity_aliases(alias, entity_id) VALUES (?, ?) "
            "ON CONFLICT(alias) DO UPDATE SET entity_id = excluded.entity_id",
            [alias, entity_id],
        )


def create(conn: sqlite3.Connection, name: str, kind: str, now: datetime) -> int:
    cur = conn.execute(
        "INSERT INTO entities(name, kind, created_at) VALUES (?, ?, ?)", [name, kind, to_db(now)]
    )
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def resolve(conn: sqlite3.Connection, mention: Mention, now: datetime) -> int:
    """The entity `mention` names, made if new. In order: the exact name; the relation
    ("Melanie's sister"), which a name given later names ("my sister Joanna" renames it); a
    short or long form of one known person ("Jo" for "Joanna", "Melanie" for "Mel"); else new."""
    name_key = normalise(mention.name) if mention.name else ""
    rel_key = relation_alias(mention.owner, mention.relation) if mention.relation else ""
    by_name = entity_by_alias(conn, name_key) if name_key else None
    by_rel = entity_by_alias(conn, rel_key) if rel_key else None
    if by_name is not None:
        if by_rel is not None and by_rel != by_name and _unnamed(conn, by_rel):
            merge_into(conn, by_rel, by_name)
        add_alias(conn, by_name, rel_key)
        return by_name
    if by_rel is not None:
        if name_key:
            if _unnamed(conn, by_rel):
                conn.execute("UPDATE entities SET name = ? WHERE id = ?", [mention.name, by_rel])
            add_alias(conn, by_rel, name_key)
        return by_rel
    if name_key and mention.kind == PERSON:
        known = short_or_long_form(conn, name_key)
        if known is not None:
            # The longer form names it ("Melanie" over "Mel"), unless the user renamed it.
            row = conn.execute("SELECT name FROM entities WHERE id = ?", [known]).fetchone()
            if row is not None and len(mention.name) > len(str(row[0])) and " " not in row[0]:
                conn.execute("UPDATE entities SET name = ? WHERE id = ?", [mention.name, known])
            add_alias(conn, known, name_key)
            add_alias(conn, known, rel_key)
            return known
    if not name_key:  # "my sister", no name yet
        owner = f"{mention.owner}'s" if mention.owner else "my"
        entity = create(conn, f"{owner} {mention.relation}", PERSON, now)
        add_alias(conn, entity, rel_key)
        return entity
    entity = create(conn, mention.name, mention.kind, now)
    add_alias(conn, entity, name_key)
    add_alias(conn, entity, rel_key)
    return entity


def short_or_long_form(conn: sqlite3.Connection, key: str) -> int | None:
    """The one person whose first name starts with `key` or is the start of it ("jo" and
    "joanna", "mel" and "melanie"); None when none or several do. Two letters at least."""
    first = key.split()[0]
    if len(first) < 2:
        return None
    rows = conn.execute(
        "SELECT DISTINCT a.entity_id, a.alias FROM entity_aliases a "
        "JOIN entities e ON e.id = a.entity_id WHERE e.kind = ? AND a.alias >= ? AND a.alias < ?",
        [PERSON, first[:2], first[:2] + "\uffff"],
    ).fetchall()
    found: set[int] = set()
    for entity_id, alias in rows:
        other = str(alias).split()[0]
        if "'" in str(alias):
            continue  # a relation alias ("mel's sister") is not a first name
        if len(key.split()) > 1 and other == first:
            found.add(int(entity_id))  # "joanna smith" after "joanna"
        elif (
            len(key.split()) == 1
            and len(other) != len(first)
            and (other.startswith(first) or first.startswith(other))
        ):
            found.add(int(entity_id))
    return found.pop() if len(found) == 1 else None


def _unnamed(conn: sqlite3.Connection, entity_id: int) -> bool:
    """Known only by a relation ("Melanie's sister"): every alias of it has a possessive."""
    rows = conn.execute(
        "SELECT alias FROM entity_aliases WHERE entity_id = ?", [entity_id]
    ).fetchall()
    return all("'s " in str(r[0]) or str(r[0]).startswith("my ") for r in rows)


def merge_into(conn: sqlite3.Connection, source: int, target: int) -> None:
    """Everything of `source` (aliases, memory edges, links) moves to `target`; source goes."""
    conn.execute("UPDATE entity_aliases SET entity_id = ? WHERE entity_id = ?", [target, source])
    conn.execute(
        "INSERT OR IGNORE INTO memory_entities(memory_id, entity_id, role) "
        "SELECT memory_id, ?, role FROM memory_entities WHERE entity_id = ?",
        [target, source],
    )
    conn.execute("UPDATE memory_neighbours SET entity_id = ? WHERE entity_id = ?", [target, source])
    conn.execute("DELETE FROM entities WHERE id = ?", [source])

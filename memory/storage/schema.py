"""SQLite schema, versioned with PRAGMA user_version; each migration runs in one transaction."""

from __future__ import annotations

import sqlite3

from memory.errors import StoreCorruptError

MIGRATIONS: list[str] = [
    # 1: conversations, messages, memories (+ keyword index), reply usage, recall events.
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE TABLE memories (
        num INTEGER PRIMARY KEY,              -- stable rowid for the FTS5 index
        id TEXT NOT NULL UNIQUE,              -- global id (survives export/import)
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL,             -- when it was recorded
        event_time TEXT NOT NULL,             -- when it happened
        updated_at TEXT NOT NULL,
        strength REAL NOT NULL DEFAULT 1.0,
        last_recalled_at TEXT,
        recall_count INTEGER NOT NULL DEFAULT 0,
        pinned INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'active',
        conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
        source_message_ids TEXT NOT NULL DEFAULT '[]',
        indexed INTEGER NOT NULL DEFAULT 0    -- 1 once its vector is in the Chroma index
    );
    CREATE INDEX memories_by_kind ON memories(kind, event_time);
    CREATE INDEX memories_unindexed ON memories(indexed) WHERE indexed = 0;
    CREATE VIRTUAL TABLE memories_fts USING fts5(
        text, content='memories', content_rowid='num', tokenize='porter unicode61'
    );
    CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts(rowid, text) VALUES (new.num, new.text);
    END;
    CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.num, old.text);
    END;
    CREATE TRIGGER memories_au AFTER UPDATE OF text ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.num, old.text);
        INSERT INTO memories_fts(rowid, text) VALUES (new.num, new.text);
    END;
    CREATE TABLE reply_memories (
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (message_id, memory_id)
    );
    CREATE INDEX reply_memories_by_memory ON reply_memories(memory_id);
    CREATE TABLE recall_events (
        memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        strength_after REAL NOT NULL
    );
    CREATE INDEX recall_events_by_memory ON recall_events(memory_id, at);
    """,
    # 2: the MemoryBank hierarchy: links between derived and source memories, supersession,
    #    user-locked entries, idempotency keys for derived items, and scheduler job runs.
    """
    ALTER TABLE memories ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE memories ADD COLUMN superseded_by TEXT;
    ALTER TABLE memories ADD COLUMN derive_key TEXT;
    CREATE UNIQUE INDEX memories_by_derive_key ON memories(derive_key)
        WHERE derive_key IS NOT NULL;
    CREATE TABLE memory_links (
        memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        source_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        relation TEXT NOT NULL,               -- derived_from | supersedes | merged_into
        PRIMARY KEY (memory_id, source_id, relation)
    );
    CREATE INDEX memory_links_by_source ON memory_links(source_id);
    CREATE TABLE job_runs (
        id INTEGER PRIMARY KEY,
        job TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,                 -- running | ok | partial | failed | interrupted
        counts TEXT NOT NULL DEFAULT '{}',
        error TEXT
    );
    CREATE INDEX job_runs_by_job ON job_runs(job, started_at);
    """,
    # 3: the audit log of memory changes. No foreign key: an entry outlives a forgotten memory,
    #    and it never holds memory text (ids and kinds only), so forgetting leaves nothing here.
    """
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        event TEXT NOT NULL,                  -- added | edited | superseded | forgotten | imported
        actor TEXT NOT NULL,                  -- user | consolidation | import
        memory_id TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_by_memory ON audit_log(memory_id);
    """,
    # 4: a keyword index over every message, so all conversations can be searched at once.
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content='messages', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END;
    INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
    """,
    # 5: the memory browser lists the newest memories first, a page at a time; without this
    #    index every page sorted the whole table (a million rows in a decade-old store).
    """
    CREATE INDEX memories_by_event_time ON memories(event_time, num);
    """,
    # 6: memory spaces. Every memory and conversation belongs to one ('personal' for everything
    # that existed before); a shared memory is recalled in every space.
    """
    ALTER TABLE memories ADD COLUMN space TEXT NOT NULL DEFAULT 'personal';
    ALTER TABLE memories ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN space TEXT NOT NULL DEFAULT 'personal';
    CREATE INDEX memories_by_space ON memories(space, kind);
    """,
    # 7: the forgetting curve in days (salience-based stability, FSRS-like recall gains). Rows
    #    written before it are marked curve = 1; memory.lifecycle.upgrade recomputes their
    #    strengths (and un-fades them for the next sweep to judge) when a bank opens the store.
    """
    ALTER TABLE memories ADD COLUMN curve INTEGER NOT NULL DEFAULT 2;
    UPDATE memories SET curve = 1;
    """,
    # 8: the memory graph (memory.graph): people, places and things named in memories, their
    #    aliases, memory-entity edges, and memory-memory links with the entity that ties them.
    #    `graphed` marks a memory whose entities were extracted; an edit clears it.
    """
    ALTER TABLE memories ADD COLUMN graphed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX memories_ungraphed ON memories(graphed) WHERE graphed = 0;
    CREATE TABLE entities (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,                   -- person | place | org | pet | thing | event
        created_at TEXT NOT NULL
    );
    CREATE TABLE entity_aliases (
        alias TEXT PRIMARY KEY,               -- lower case, one space between words
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE
    );
    CREATE INDEX entity_aliases_by_entity ON entity_aliases(entity_id);
    CREATE TABLE memory_entities (
        memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        role TEXT NOT NULL DEFAULT 'mention', -- mention | speaker
        PRIMARY KEY (memory_id, entity_id)
    );
    CREATE INDEX memory_entities_by_entity ON memory_entities(entity_id);
    CREATE TABLE memory_neighbours (
        memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        other_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        entity_id INTEGER REFERENCES entities(id) ON DELETE CASCADE,
        reason TEXT NOT NULL,                 -- e.g. "both mention Joanna"
        PRIMARY KEY (memory_id, other_id)
    );
    CREATE INDEX memory_neighbours_by_other ON memory_neighbours(other_id);
    CREATE TRIGGER memories_graph_au AFTER UPDATE OF text ON memories BEGIN
        UPDATE memories SET graphed = 0 WHERE num = new.num;
        DELETE FROM memory_entities WHERE memory_id = new.id;
        DELETE FROM memory_neighbours WHERE memory_id = new.id;
    END;
    """,
    # 9: a memory-entity edge carries its memory's time, so "the latest earlier memory naming
    #    this entity" (a new memory's neighbour, an entity's timeline, PageRank's seeds) is an
    #    index lookup instead of a sort of every mention: filling the graph was quadratic in an
    #    entity's mentions (20k memories 116 s, 40k 461 s). Triggers keep the copy true.
    """
    ALTER TABLE memory_entities ADD COLUMN event_time TEXT NOT NULL DEFAULT '';
    ALTER TABLE memory_entities ADD COLUMN num INTEGER NOT NULL DEFAULT 0;
    UPDATE memory_entities SET
        event_time = coalesce((SELECT event_time FROM memories m WHERE m.id = memory_id), ''),
        num = coalesce((SELECT num FROM memories m WHERE m.id = memory_id), 0);
    DROP INDEX memory_entities_by_entity;
    CREATE INDEX memory_entities_by_time ON memory_entities(entity_id, event_time, num);
    CREATE INDEX memory_entities_by_role ON memory_entities(entity_id, role, event_time, num);
    CREATE TRIGGER memory_entities_ai AFTER INSERT ON memory_entities BEGIN
        UPDATE memory_entities SET
            event_time = coalesce((SELECT event_time FROM memories WHERE id = new.memory_id), ''),
            num = coalesce((SELECT num FROM memories WHERE id = new.memory_id), 0)
        WHERE rowid = new.rowid;
    END;
    CREATE TRIGGER memories_graph_time AFTER UPDATE OF event_time ON memories BEGIN
        UPDATE memory_entities SET event_time = new.event_time WHERE memory_id = new.id;
    END;
    """,
    # 10: a conversation's memories in time order, so the turns before and after a keyword hit
    #     (recall's context, memory/recall/neighbours.py) are one short range scan each. They were
    #     found through (kind, event_time), reading every turn of those hours in any conversation:
    #     at 1M memories that took recall's p95 to 196 ms.
    """
    CREATE INDEX memories_by_conversation ON memories(conversation_id, event_time, num);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION; returns the version it was at before."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreCorruptError(
            f"This memory store was written by a newer membank (schema {version}, this app knows "
            f"{SCHEMA_VERSION}). Update membank, or open another data folder."
        )
    for number in range(version, SCHEMA_VERSION):
        # executescript commits first, so run each migration as one explicit transaction.
        conn.executescript(
            f"BEGIN;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;"
        )
    return version

"""The SQLite store: the single source of truth for conversations, messages and memories."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from memory.clock import from_db, to_db
from memory.errors import DataDirError, NotFoundError, StorageFullError, StoreCorruptError
from memory.records import Conversation, Kind, Memory, Message, MessageHit, State
from memory.storage import audit
from memory.storage.encryption import connect, database_errors
from memory.storage.schema import migrate

_WORD = re.compile(r"[\w']+", re.UNICODE)
# Words too common to say anything in a keyword search.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
    ]
)


def keyword_query(text: str) -> str:
    """An FTS5 OR-query of the meaningful words in `text` ("" when there are none)."""
    words = [w.strip("'").lower() for w in _WORD.findall(text)]
    terms = sorted({w for w in words if w and w not in STOP_WORDS and len(w) > 1})
    return " OR ".join(f'"{w}"' for w in terms)


class SQLiteStore:
    """All SQLite access. Thread-safe: one connection, serialised by a lock."""

    def __init__(self, path: Path, passphrase: str | None = None) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = connect(path, passphrase)  # SQLCipher when a passphrase is given
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
                # Deleted rows are zeroed on disk, so forgetting leaves no text in free pages.
                conn.execute("PRAGMA secure_delete = ON")
                migrate(conn)
            except BaseException:
                conn.close()  # else the file stays open (and locked on Windows)
                raise
        except OSError as exc:
            raise DataDirError(str(path.parent), exc.strerror or str(exc)) from exc
        except database_errors() as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise StoreCorruptError(
                    f"The memory store {path} cannot be read ({exc}): it is damaged, or it is "
                    "encrypted and MEMBANK_DB_PASSPHRASE is not set. Set the passphrase, or move "
                    "the file away (membank never overwrites it) and restore a backup archive: "
                    "`membank-cli backup list`, then `membank-cli backup restore FILE`."
                ) from exc
            raise DataDirError(str(path.parent), str(exc)) from exc
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._depth = 0  # nested transaction() blocks join the outermost one

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    @contextmanager
    def transaction(self, *, atomic: bool = False) -> Iterator[sqlite_utils.Database]:
        """One transaction; a block nested in another joins it. With `atomic` the outermost
        block opens it with BEGIN, so everything inside (sqlite-utils writes included, which
        otherwise commit one by one) commits or rolls back together, as an importer needs."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with self.db.conn:
                    if atomic and not self.db.conn.in_transaction:
                        self.db.conn.execute("BEGIN")
                    yield self.db
            except sqlite3.OperationalError as exc:  # rolled back: say why, in plain words
                mapped = _write_error(self.path, exc)
                if mapped is exc:
                    raise
                raise mapped from exc
            finally:
                self._depth = 0

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Run a read query under the store's lock (for the memory package's own modules)."""
        with self._lock:
            return list(self.db.query(sql, params))

    # --- conversations -------------------------------------------------------------------

    def create_conversation(self, title: str, now: datetime) -> Conversation:
        with self.transaction() as db:
            table = db.table("conversations")
            table.insert({"title": title, "created_at": to_db(now), "updated_at": to_db(now)})
            return self.conversation(int(table.last_pk or 0))

    def conversation(self, conversation_id: int) -> Conversation:
        rows = self.rows(
            "SELECT c.*, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
            "FROM conversations c WHERE c.id = ?",
            [conversation_id],
        )
        if not rows:
            raise NotFoundError(f"There is no conversation {conversation_id}.")
        return _conversation(rows[0])

    def conversations(self) -> list[Conversation]:
        rows = self.rows(
            "SELECT c.*, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
            "FROM conversations c ORDER BY c.updated_at DESC, c.id DESC"
        )
        return [_conversation(r) for r in rows]

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE conversations SET title = ? WHERE id = ?", [title, conversation_id])

    def delete_conversation(self, conversation_id: int) -> None:
        """Deletes the conversation and its messages; memories made from it stay (unlinked)."""
        with self.transaction() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", [conversation_id])

    # --- messages --------------------------------------------------------------------------

    def add_message(self, conversation_id: int, role: str, text: str, now: datetime) -> Message:
        with self.transaction() as db:
            table = db.table("messages")
            table.insert(
                {
                    "conversation_id": conversation_id,
                    "role": role,
                    "text": text,
                    "created_at": to_db(now),
                }
            )
            message_id = int(table.last_pk or 0)
            db.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?",
                [to_db(now), conversation_id],
            )
        return Message(message_id, conversation_id, role, text, now)

    def messages(self, conversation_id: int, limit: int | None = None) -> list[Message]:
        """The conversation's messages, oldest first (the last `limit` if given)."""
        sql = "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id DESC"
        params: list[Any] = [conversation_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = list(reversed(self.rows(sql, params)))
        used = self.used_memories([r["id"] for r in rows if r["role"] == "assistant"])
        return [
            Message(
                r["id"],
                r["conversation_id"],
                r["role"],
                r["text"],
                from_db(r["created_at"]),
                tuple(used.get(r["id"], ())),
            )
            for r in rows
        ]

    def message(self, message_id: int) -> Message:
        rows = self.rows("SELECT conversation_id FROM messages WHERE id = ?", [message_id])
        if not rows:
            raise NotFoundError(f"There is no message {message_id}.")
        found = [m for m in self.messages(rows[0]["conversation_id"]) if m.id == message_id]
        return found[0]

    def delete_message(self, message_id: int) -> None:
        """Delete one message (and which memories it used); memories made from it stay."""
        with self.transaction() as db:
            db.execute("DELETE FROM messages WHERE id = ?", [message_id])

    def search_messages(self, text: str, limit: int = 50) -> list[MessageHit]:
        """Messages of every conversation that match `text`'s words, best first."""
        query = keyword_query(text)
        if not query:
            return []
        rows = self.rows(
            "SELECT m.id, m.conversation_id, m.role, m.text, m.created_at, c.title, "
            "snippet(messages_fts, 0, '[', ']', '…', 12) AS snippet "
            "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
            "JOIN conversations c ON c.id = m.conversation_id "
            "WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?",
            [query, limit],
        )
        return [
            MessageHit(
                Message(
                    r["id"], r["conversation_id"], r["role"], r["text"], from_db(r["created_at"])
                ),
                r["title"],
                r["snippet"],
            )
            for r in rows
        ]

    # --- memories --------------------------------------------------------------------------

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
                }
            )
            audit.record(db.conn, now, "added", "user", memory_id, {"kind": str(kind)})
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
        self, *, kinds: Sequence[Kind] | None = None, limit: int = 100, offset: int = 0
    ) -> list[Memory]:
        sql = "SELECT * FROM memories"
        params: list[Any] = []
        if kinds:
            sql += f" WHERE kind IN ({','.join('?' * len(kinds))})"
            params += [str(k) for k in kinds]
        sql += " ORDER BY event_time DESC, num DESC LIMIT ? OFFSET ?"
        return [memory_from_row(r) for r in self.rows(sql, [*params, limit, offset])]

    def count_memories(self) -> int:
        return int(self.rows("SELECT count(*) AS n FROM memories")[0]["n"])

    def keyword_search(self, text: str, limit: int = 50) -> list[tuple[str, float]]:
        """(memory id, bm25 score; lower is better) of active memories matching `text`'s words.

        bm25 scores every match before LIMIT, and in a large store a common word matches tens
        of thousands of memories. So the memories holding *all* the words are asked for first;
        when there are at least `limit` of them they are the answer (a memory holding only some
        of the words seldom outranks them), else the OR query of any word is run."""
        query = keyword_query(text)
        if not query:
            return []
        if " OR " in query:
            every = self._bm25(query.replace(" OR ", " AND "), limit)
            if len(every) >= limit:
                return every
        return self._bm25(query, limit)

    def _bm25(self, query: str, limit: int) -> list[tuple[str, float]]:
        # FTS5 ranks on its own first (`rank` is bm25 with default weights); the state is then
        # checked on those rows only, over-fetching for the few inactive ones.
        best = self.rows(
            "SELECT rowid AS num, rank FROM memories_fts WHERE memories_fts MATCH ? "
            "ORDER BY rank LIMIT ?",
            [query, 2 * limit],
        )
        if not best:
            return []
        marks = ",".join("?" * len(best))
        active = {
            r["num"]: r["id"]
            for r in self.rows(
                f"SELECT num, id FROM memories WHERE num IN ({marks}) AND state = 'active'",
                [r["num"] for r in best],
            )
        }
        if len(active) < limit and len(best) == 2 * limit:  # many inactive: rank them all
            rows = self.rows(
                "SELECT m.id, bm25(memories_fts) AS rank FROM memories_fts "
                "JOIN memories m ON m.num = memories_fts.rowid "
                "WHERE memories_fts MATCH ? AND m.state = 'active' ORDER BY rank LIMIT ?",
                [query, limit],
            )
            return [(r["id"], float(r["rank"])) for r in rows]
        found = [(active[r["num"]], float(r["rank"])) for r in best if r["num"] in active]
        return found[:limit]

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


def _write_error(path: Path, exc: sqlite3.OperationalError) -> Exception:
    text = str(exc)
    if "disk is full" in text or "disk I/O error" in text:
        return StorageFullError(str(path.parent), f"the disk is full ({text})")
    if "readonly" in text or "read-only" in text:
        return DataDirError(str(path.parent), f"it is read-only ({text})")
    return exc


def _conversation(r: dict[str, Any]) -> Conversation:
    return Conversation(
        r["id"], r["title"], from_db(r["created_at"]), from_db(r["updated_at"]), int(r.get("n", 0))
    )


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
    )

"""Conversation and message rows (each message with the memories its reply used)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from memory.clock import from_db, to_db
from memory.errors import NotFoundError
from memory.records import PERSONAL, Conversation, Message
from memory.storage.memory_rows import MemoryRows


class ConversationRows(MemoryRows):
    """The `conversations` and `messages` tables."""

    def create_conversation(self, title: str, now: datetime, space: str = PERSONAL) -> Conversation:
        with self.transaction() as db:
            table = db.table("conversations")
            table.insert(
                {"title": title, "created_at": to_db(now), "updated_at": to_db(now), "space": space}
            )
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


def _conversation(r: dict[str, Any]) -> Conversation:
    return Conversation(
        r["id"],
        r["title"],
        from_db(r["created_at"]),
        from_db(r["updated_at"]),
        int(r.get("n", 0)),
        r.get("space") or PERSONAL,
    )

"""Import a recorded conversation (a chat export, a benchmark file) the way chat stores it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from memory.bank import Draft, MemoryBank
from memory.records import Conversation, Kind, Memory
from memory.storage.store import SQLiteStore


@dataclass(frozen=True)
class ImportedTurn:
    speaker: str
    text: str
    when: datetime  # when it was said: the message time and the memory's event time
    role: str = "user"  # only user turns become turn memories; others are messages only


@dataclass(frozen=True)
class ImportedConversation:
    conversation: Conversation
    memories: list[Memory]  # one per turn, in order


def turn_text(turn: ImportedTurn) -> str:
    """A turn as stored: who said it, then what ("Caroline: I went to ..."); recall relies on
    the label to tell the speakers apart. Without a speaker (the user's own chats) the text is
    kept as chat keeps it."""
    if not turn.speaker:
        return turn.text.strip()
    return f"{turn.speaker}: {' '.join(turn.text.split())}"


def write_conversation(
    store: SQLiteStore,
    bank: MemoryBank,
    title: str,
    turns: Sequence[ImportedTurn],
    now: datetime,
) -> int:
    """Write a conversation's rows (messages, and turn memories for user turns) without
    indexing them, so a caller can put many in one `store.transaction()` and reconcile the
    index after the commit. Returns the conversation id."""
    started = turns[0].when if turns else now
    with store.transaction():
        conversation = store.create_conversation(title, started)
        for turn in turns:
            text = turn_text(turn)
            message = store.add_message(conversation.id, turn.role, text, turn.when)
            if turn.role == "user":
                store.add_memory(
                    Kind.TURN,
                    text,
                    now,
                    event_time=turn.when,
                    strength=bank.decay.initial(Kind.TURN, text),
                    conversation_id=conversation.id,
                    source_message_ids=(message.id,),
                )
    return conversation.id


def import_conversation(
    store: SQLiteStore,
    bank: MemoryBank,
    title: str,
    turns: Sequence[ImportedTurn],
    now: datetime,
) -> ImportedConversation:
    """Every turn becomes a message (at its own time) and a turn memory (recorded `now`, having
    happened when it was said), as `ChatService.send` does for a user's turn; the vectors
    are computed in batches. Needs no chat model."""
    started = turns[0].when if turns else now
    conversation = store.create_conversation(title, started)
    drafts: list[Draft] = []
    for turn in turns:
        text = turn_text(turn)
        message = store.add_message(conversation.id, "user", text, turn.when)
        drafts.append(
            Draft(Kind.TURN, text, turn.when, conversation.id, source_message_ids=(message.id,))
        )
    memories = bank.remember_many(drafts, now)
    return ImportedConversation(store.conversation(conversation.id), memories)

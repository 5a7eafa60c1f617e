"""Frozen records the memory layer hands out (rows and Chroma dicts never leave memory/)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from memory.errors import SpaceNameError

PERSONAL = "personal"  # the default memory space
_SPACE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def check_space(name: str) -> str:
    """A space name as stored: lower case letters, digits, - and _, at most 32 characters."""
    space = name.strip().lower()
    if not _SPACE.match(space):
        raise SpaceNameError(
            f"{name!r} cannot name a memory space: use up to 32 lower-case letters, digits, "
            "'-' or '_' (e.g. work, thesis)."
        )
    return space


class Kind(StrEnum):
    TURN = "turn"  # a user turn of a conversation (short-term memory)
    NOTE = "note"  # something the user asked to remember
    SESSION_SUMMARY = "session_summary"
    DAILY_SUMMARY = "daily_summary"
    GLOBAL_SUMMARY = "global_summary"
    FACT = "fact"
    DAILY_PERSONA = "daily_persona"
    GLOBAL_PERSONA = "global_persona"
    REFLECTION = "reflection"


class State(StrEnum):
    ACTIVE = "active"
    FADED = "faded"  # below the retention threshold: out of recall, restorable
    SUPERSEDED = "superseded"  # replaced by a newer fact; kept for history


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created_at: datetime
    updated_at: datetime
    message_count: int = 0
    space: str = "personal"


@dataclass(frozen=True)
class Memory:
    id: str
    kind: Kind
    text: str
    created_at: datetime
    event_time: datetime
    strength: float
    last_recalled_at: datetime | None
    pinned: bool
    state: State
    conversation_id: int | None = None
    source_message_ids: tuple[int, ...] = ()
    recall_count: int = 0
    locked: bool = False  # the user edited/locked it: consolidation leaves it alone
    superseded_by: str | None = None
    derive_key: str | None = None
    space: str = "personal"  # recalled only in this space ...
    shared: bool = False  # ... unless shared by all spaces


@dataclass(frozen=True)
class Link:
    """`memory_id` was derived from / supersedes / was merged into `source_id`."""

    memory_id: str
    source_id: str
    relation: str


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, int]
    error: str | None


@dataclass(frozen=True)
class Recalled:
    """A memory found for a query, with why it ranked where it did."""

    memory: Memory
    score: float
    similarity: float | None  # cosine similarity to the query (None: keyword hit only)
    retention: float
    keyword_rank: int | None = None


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str
    text: str
    created_at: datetime
    used_memories: tuple[Memory, ...] = field(default=())


@dataclass(frozen=True)
class MessageHit:
    """A message found by searching all conversations, with its conversation's title."""

    message: Message
    conversation_title: str
    snippet: str  # the matching words in [brackets], with … where text was cut

"""The frozen values the services hand to the UI and the CLI: chat events and overviews."""

from __future__ import annotations

from dataclasses import dataclass

from memory.recall.reply_check import ReplyCheck
from memory.records import Memory, Message, Recalled
from models.protocols import ChatMessage


@dataclass(frozen=True)
class Overview:
    """What membank has distilled about the user (the persona view)."""

    persona: Memory | None
    summary: Memory | None
    reflections: tuple[Memory, ...]
    facts: tuple[Memory, ...]


@dataclass(frozen=True)
class Day:
    day: str
    summary: Memory | None
    persona: Memory | None


@dataclass(frozen=True)
class RecallEvent:
    """The memories that went into the prompt (sent before the first token)."""

    user_message: Message
    memories: tuple[Recalled, ...]
    prompt: tuple[ChatMessage, ...]  # exactly what the model is given


@dataclass(frozen=True)
class TokenEvent:
    text: str


@dataclass(frozen=True)
class ReplyEvent:
    message: Message
    used: tuple[Recalled, ...]
    stopped: bool
    check: ReplyCheck | None = None  # the reply checked against the memories it used


ChatEvent = RecallEvent | TokenEvent | ReplyEvent

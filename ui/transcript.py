"""Renders a conversation as markdown for the chat view (a pure function, easy to test)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from memory.records import Memory, Message

REPLY_LINK = "reply:"


def _when(when: datetime) -> str:
    return when.astimezone().strftime("%d %b %H:%M")


def render(messages: Sequence[Message], streaming: str | None = None) -> str:
    parts: list[str] = []
    for message in messages:
        if message.role == "user":
            parts.append(f"**You** · {_when(message.created_at)}\n\n{message.text}")
        else:
            used = len(message.used_memories)
            noun = "memory" if used == 1 else "memories"
            link = f" · [{used} {noun} used]({REPLY_LINK}{message.id})" if used else ""
            parts.append(f"**membank** · {_when(message.created_at)}{link}\n\n{message.text}")
    if streaming is not None:
        parts.append(f"**membank** · typing…\n\n{streaming or '…'}")
    return "\n\n---\n\n".join(parts)


def memory_label(memory: Memory, now: datetime) -> str:
    from memory.prompt import how_long_ago

    text = " ".join(memory.text.split())
    ago = how_long_ago(memory.event_time, now)
    return f"{memory.event_time.astimezone():%Y-%m-%d} ({ago}) · {text}"

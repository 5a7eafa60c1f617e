"""Renders a conversation as markdown for the chat view (a pure function, easy to test)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from memory.recall.reply_check import check_reply
from memory.records import Memory, Message

REPLY_LINK = "reply:"
# Per-message actions and memory chips are links the window handles: "<action>:<id>".
COPY, REMEMBER, REGENERATE, MEMORY = "copy", "remember", "regenerate", "memory"
CHIP_CHARS = 40


def _when(when: datetime) -> str:
    return when.astimezone().strftime("%d %b %H:%M")


def _chip(memory: Memory) -> str:
    text = " ".join(memory.text.split())
    if len(text) > CHIP_CHARS:
        text = text[: CHIP_CHARS - 1].rstrip() + "…"
    return _a(f"{MEMORY}:{memory.id}", f"◆ {text}")


def _a(href: str, text: str) -> str:
    # Raw HTML: markdown links are not parsed inside the <sub> that makes these small.
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def _actions(message: Message, last: bool) -> str:
    links = [_a(f"{COPY}:{message.id}", "Copy"), _a(f"{REMEMBER}:{message.id}", "Remember this")]
    if last and message.role == "assistant":
        links.append(_a(f"{REGENERATE}:{message.id}", "Regenerate"))
    return "<sub>" + " · ".join(links) + "</sub>"


def render(
    messages: Sequence[Message], streaming: str | None = None, *, can_regenerate: bool = True
) -> str:
    """The conversation as markdown: each message with its actions, each reply with the
    memories it used as chips (links the window opens in the memory browser)."""
    parts: list[str] = []
    for i, message in enumerate(messages):
        last = i == len(messages) - 1 and streaming is None and can_regenerate
        if message.role == "user":
            head = f"**You** · {_when(message.created_at)}"
            parts.append(f"{head}\n\n{message.text}\n\n{_actions(message, last)}")
            continue
        used = len(message.used_memories)
        noun = "memory" if used == 1 else "memories"
        link = f" · [{used} {noun} used]({REPLY_LINK}{message.id})" if used else ""
        block = f"**membank** · {_when(message.created_at)}{link}\n\n{message.text}"
        question = messages[i - 1].text if i and messages[i - 1].role == "user" else ""
        if used and question:
            block += _memory_card(question, message)
        if used:
            block += "\n\n<sub>Used: " + " ".join(_chip(m) for m in message.used_memories)
            block += "</sub>"
        parts.append(f"{block}\n\n{_actions(message, last)}")
    if streaming is not None:
        parts.append(f"**membank** · typing…\n\n{streaming or '…'}")
    return "\n\n---\n\n".join(parts)


def memory_card(question: str, reply: Message) -> str:
    """The reply-check card under a reply, as markdown ("" when there is none)."""
    return _memory_card(question, reply)


def _memory_card(question: str, reply: Message) -> str:
    """ "**I may be wrong** — from your memory, <date>: …" under a reply the check flags (the
    same pure check the CLI's `ask --json` reports; recomputed, so it shows on reload too). The
    date and words are one link: a click opens that memory in the memory browser."""
    if reply.text == "(stopped)":
        return ""
    check = check_reply(question, reply.text, reply.used_memories)
    if not check.flagged or check.memory is None:
        return ""
    head, _, said = check.card().partition(" — ")
    link = _a(f"{MEMORY}:{check.memory.id}", said).replace("*", "\\*").replace("_", "\\_")
    return f"\n\n> **{html.escape(head)}** — {link}"


def parse_action(url: str) -> tuple[str, str] | None:
    """("copy" | "remember" | "regenerate" | "memory", id) for an action link, else None."""
    action, _, ident = url.partition(":")
    if action in (COPY, REMEMBER, REGENERATE, MEMORY) and ident:
        return action, ident
    return None


def memory_label(memory: Memory, now: datetime) -> str:
    from memory.recall.prompt import how_long_ago

    text = " ".join(memory.text.split())
    ago = how_long_ago(memory.event_time, now)
    return f"{memory.event_time.astimezone():%Y-%m-%d} ({ago}) · {text}"

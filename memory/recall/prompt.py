"""Prompt assembly: date, persona, summary, recalled memories with dates, recent turns, budgeted.

Two styles, picked by model capability (see `bench answers` in docs/benchmarks.md): "full" (an
identity, the overviews and the memories in the system prompt) for capable models, and
"compact" for small ones: a one-line instruction with no identity to parrot, a worked example,
and the memories quoted as notes right next to the question. "plain" is compact without the
example (kept to measure what the example is worth). "extractive" is the compact prompt, and a
reply to a question about the user's past that leads with the memory that answers it
(memory/recall/extractive.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from memory.records import Kind, Memory, Message, Recalled
from models.protocols import ChatMessage

SYSTEM_INTRO = (
    "You are membank, a friendly personal assistant that runs privately on the user's computer "
    "and remembers what the user told you in earlier conversations."
)
MEMORY_RULES = (
    "Answer the user's message in one or two sentences, using these memories where they help. "
    "When memories disagree, the newest one is true. "
    "If they do not hold the answer, say that you do not remember. Never invent memories."
)
PromptStyle = Literal["full", "compact", "plain", "extractive"]
PROMPT_STYLES: tuple[str, ...] = get_args(PromptStyle)
COMPACT_SYSTEM = "Answer the question from the notes, in one short sentence."
EXAMPLE_NOTES = (
    "- [Sunday 02 June 2024] I adopted a puppy called Rex.\n"
    "- [Monday 03 June 2024] My sister Anna moved to Porto last week."
)
EXAMPLE_QUESTION = "Where does my sister live?"
EXAMPLE_ANSWER = "Your sister Anna lives in Porto (you told me on 03 June 2024)."


def how_long_ago(then: datetime, now: datetime) -> str:
    days = (now.date() - then.astimezone(now.tzinfo).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def format_when(when: datetime, now: datetime) -> str:
    local = when.astimezone(now.tzinfo)
    return f"{local:%A %d %B %Y}, {how_long_ago(when, now)}"


def memory_line(memory: Memory, now: datetime) -> str:
    # The user's own words need no label (the tiny model answers best from plain lines);
    # derived memories say what they are.
    label = (
        "" if memory.kind in (Kind.TURN, Kind.NOTE) else f"({memory.kind.value.replace('_', ' ')}) "
    )
    text = " ".join(memory.text.split())
    return f"- [{format_when(memory.event_time, now)}] {label}{text}"


@dataclass(frozen=True)
class Prompt:
    messages: list[ChatMessage]
    used: list[Recalled]  # the recalled memories that made it into the prompt
    tokens: int


@dataclass(frozen=True)
class PromptBudget:
    context_size: int = 4096
    reply_tokens: int = 512
    memory_share: float = 0.4  # of what remains after the reply, at most this for memories


def note_line(memory: Memory) -> str:
    """A memory as a compact-style note: its date and its words, nothing else to copy."""
    text = " ".join(memory.text.split())
    return f"- [{memory.event_time:%A %d %B %Y}] {text}"


def with_notes(lines: Sequence[str], question: str) -> str:
    if not lines:
        return question
    return "Notes:\n" + "\n".join(lines) + f"\n\nQuestion: {question}"


class PromptBuilder:
    def __init__(
        self,
        count_tokens: Callable[[str], int],
        budget: PromptBudget,
        style: PromptStyle = "full",
    ) -> None:
        self.count_tokens = count_tokens
        self.budget = budget
        self.style = style

    def build(
        self,
        user_text: str,
        now: datetime,
        recalled: Sequence[Recalled],
        history: Sequence[Message],
        *,
        persona: str = "",
        summary: str = "",
    ) -> Prompt:
        if self.style != "full":
            return self._compact(user_text, recalled, history, persona)
        b = self.budget
        available = b.context_size - b.reply_tokens - self.count_tokens(user_text) - 32
        header = [SYSTEM_INTRO, f"Now: {now:%A %d %B %Y, %H:%M}."]
        if persona:
            header.append(f"What you know about the user's personality and preferences:\n{persona}")
        if summary:
            header.append(f"Summary of your past conversations:\n{summary}")
        system = "\n\n".join(header)
        spent = self.count_tokens(system)
        memory_budget = int(max(0, available - spent) * b.memory_share)
        lines: list[str] = []
        used: list[Recalled] = []
        memory_tokens = 0
        for item in recalled:
            line = memory_line(item.memory, now)
            cost = self.count_tokens(line) + 1
            if memory_tokens + cost > memory_budget:
                continue
            lines.append(line)
            used.append(item)
            memory_tokens += cost
        if lines:
            block = "What the user told you before (most relevant first):\n" + "\n".join(lines)
            system = f"{system}\n\n{block}\n\n{MEMORY_RULES}"
        spent = self.count_tokens(system)
        turns: list[ChatMessage] = []
        for message in reversed(history):
            cost = self.count_tokens(message.text) + 8
            if spent + cost > available:
                break
            turns.insert(0, {"role": message.role, "content": message.text})
            spent += cost
        messages: list[ChatMessage] = [{"role": "system", "content": system}, *turns]
        messages.append({"role": "user", "content": user_text})
        return Prompt(messages, used, spent + self.count_tokens(user_text))

    def _compact(
        self,
        user_text: str,
        recalled: Sequence[Recalled],
        history: Sequence[Message],
        persona: str,
    ) -> Prompt:
        """Small models: no identity, an example, the notes next to the question."""
        b = self.budget
        head: list[ChatMessage] = [{"role": "system", "content": COMPACT_SYSTEM}]
        if self.style in ("compact", "extractive"):
            head.append({"role": "user", "content": with_notes([EXAMPLE_NOTES], EXAMPLE_QUESTION)})
            head.append({"role": "assistant", "content": EXAMPLE_ANSWER})
        spent = sum(self.count_tokens(m["content"]) + 8 for m in head)
        available = b.context_size - b.reply_tokens - self.count_tokens(user_text) - 32
        memory_budget = int(max(0, available - spent) * b.memory_share)
        lines: list[str] = []
        used: list[Recalled] = []
        memory_tokens = 0
        if persona:  # the profile, as the first note (it is what the user said of themselves)
            first = "- (about you) " + " ".join(persona.split())
            if self.count_tokens(first) + 1 <= memory_budget // 2:
                lines.append(first)
                memory_tokens += self.count_tokens(first) + 1
        for item in recalled:
            line = note_line(item.memory)
            cost = self.count_tokens(line) + 1
            if memory_tokens + cost > memory_budget:
                continue
            lines.append(line)
            used.append(item)
            memory_tokens += cost
        question = with_notes(lines, user_text)
        spent += self.count_tokens(question) - self.count_tokens(user_text)
        turns: list[ChatMessage] = []
        for message in reversed(history):
            cost = self.count_tokens(message.text) + 8
            if spent + cost > available:
                break
            turns.insert(0, {"role": message.role, "content": message.text})
            spent += cost
        messages: list[ChatMessage] = [*head, *turns, {"role": "user", "content": question}]
        return Prompt(messages, used, spent + self.count_tokens(user_text))

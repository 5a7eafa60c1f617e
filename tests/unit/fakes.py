"""Deterministic stand-ins for the models, for pure unit tests of the logic around them.

Never the only test of a feature (STYLE.md section 7): the real GGUF and MiniLM are exercised by
the integration tests.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from memory.bank import MemoryBank
from memory.lifecycle.decay import DecayPolicy
from memory.recall.retrieval import RecallSettings
from memory.records import Kind, Message
from memory.storage.fts import STOP_WORDS
from memory.storage.index import ChromaIndex
from memory.storage.store import SQLiteStore
from models.protocols import CancelToken, ChatMessage, T

# A Friday; every test starts here unless it says otherwise.
T0 = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)

_WORD = re.compile(r"[a-z0-9']+")


def content_words(text: str) -> list[str]:
    words = (w.strip("'") for w in _WORD.findall(text.lower()))
    return [w for w in words if w and w not in STOP_WORDS]


class HashEmbedder:
    """Bag of words hashed into `dim` buckets, L2-normalised: shared words mean similarity.

    md5, not hash(), so vectors are the same in every run. Text without content words maps
    to a fixed bucket of its own so it never produces a zero vector.
    """

    model_id = "fake/hash-bow"

    def __init__(self, dim: int = 64) -> None:
        self._dim = dim
        self.calls: list[list[str]] = []

    @property
    def dim(self) -> int:
        return self._dim

    def _bucket(self, word: str) -> int:
        return int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "little") % self._dim

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = content_words(text) or ["<empty>"]
            for word in words:
                out[row, self._bucket(word)] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out

    def similarity(self, a: str, b: str) -> float:
        va, vb = self.embed([a, b])
        return float(np.dot(va, vb))


class ScriptedLLM:
    """Streams fixed pieces; checks `cancel` before each piece, as the real adapter does."""

    model_id = "fake/scripted"

    def __init__(self, pieces: Sequence[str] = ("Noted", ", ", "thank you", ".")) -> None:
        self.pieces = list(pieces)
        self.prompts: list[list[ChatMessage]] = []

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        cancel: CancelToken | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        repeat_penalty: float | None = None,
        grammar: str | None = None,
    ) -> Iterator[str]:
        self.prompts.append(list(messages))
        for piece in self.pieces:
            if cancel is not None and cancel.is_set():
                return
            yield piece

    def complete_json(self, messages: Sequence[ChatMessage], schema: type[T]) -> T:
        raise NotImplementedError("ScriptedLLM does not do structured output")

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    @property
    def context_size(self) -> int:
        return 4096

    def close(self) -> None:
        pass


# First person -> third person, for the few statements the consolidation tests use.
_FACT_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^i live in (.+)$", re.IGNORECASE), "The user lives in {}."),
    (re.compile(r"^i moved to (.+)$", re.IGNORECASE), "The user moved to {}."),
    (re.compile(r"^i work as (.+)$", re.IGNORECASE), "The user works as {}."),
    (re.compile(r"^my cat is called (.+)$", re.IGNORECASE), "The user's cat is called {}."),
    (re.compile(r"^i am allergic to (.+)$", re.IGNORECASE), "The user is allergic to {}."),
]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _user_lines(source: str) -> list[str]:
    """The user's words from a "User: ..." transcript, without the trailing full stop."""
    return [
        line.removeprefix("User:").strip().rstrip(".!?")
        for line in source.splitlines()
        if line.startswith("User:") and line.removeprefix("User:").strip()
    ]


def _items(source: str) -> list[str]:
    """The entries of a "- ..." list."""
    return [line.removeprefix("- ").strip() for line in source.splitlines() if line.strip()]


def _sentences(texts: Sequence[str]) -> list[str]:
    """Every sentence of `texts`, each once, in order."""
    out: list[str] = []
    for text in texts:
        for sentence in _SENTENCE_END.split(text.strip()):
            sentence = sentence.strip()
            if sentence and sentence not in out:
                out.append(sentence if sentence.endswith((".", "!", "?")) else sentence + ".")
    return out


class StepLLM:
    """Answers the consolidation and reflection prompts deterministically, from its input only.

    It picks the step by the first system message and reads the last user message (the source),
    so every answer is grounded. `garbage=True` answers every prompt with unrelated text, as a
    confused tiny model might. Anything else (a chat prompt) gets `reply`.
    """

    model_id = "fake/steps"
    GARBAGE = "Bananas orbit purple volcanoes quietly."

    def __init__(self, *, garbage: bool = False, reply: str = "Noted, thank you.") -> None:
        self.garbage = garbage
        self.reply = reply
        self.prompts: list[list[ChatMessage]] = []
        self.steps: list[str] = []  # which step each prompt was, in order
        self.grammars: list[str | None] = []  # the grammar each prompt was decoded under

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        cancel: CancelToken | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        repeat_penalty: float | None = None,
        grammar: str | None = None,
    ) -> Iterator[str]:
        self.prompts.append(list(messages))
        self.grammars.append(grammar)
        step, answer = self._answer(messages)
        self.steps.append(step)
        for piece in re.findall(r"\S+\s*", answer):
            if cancel is not None and cancel.is_set():
                return
            yield piece

    def _answer(self, messages: Sequence[ChatMessage]) -> tuple[str, str]:
        system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
        source = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        step, answer = "chat", self.reply
        if system.startswith("You extract facts"):
            step, answer = "facts", "\n".join(f"- {f}" for f in self._facts(source))
        elif system.startswith("Summarise what the user said"):
            step, answer = "session", "The user said " + "; ".join(_user_lines(source)) + "."
        elif system.startswith("Summarise the user's day"):
            step, answer = "day", " ".join(_sentences(_items(source)))
        elif system.startswith("Write a short overall summary"):
            step, answer = "global", " ".join(_sentences(_items(source)))
        elif system.startswith("Describe the user's personality"):
            words = _key_words(" ".join(_user_lines(source)))
            step, answer = "persona", "The user talked about " + ", ".join(words[:10]) + "."
        elif system.startswith("From these facts about the user"):
            items = [i.rstrip(".") for i in _items(source)]
            # Each insight draws on two memories (a copy of one would be rejected).
            pairs = [
                f"{items[i]} and {items[(i + 1) % len(items)]}" for i in range(min(len(items), 2))
            ]
            step, answer = "reflect", "\n".join(f"- {p}." for p in pairs)
        return step, (self.GARBAGE if self.garbage else answer)

    @staticmethod
    def _facts(source: str) -> list[str]:
        facts = []
        for line in _user_lines(source):
            for sentence in _SENTENCE_END.split(line):
                sentence = sentence.strip().rstrip(".!?")
                for pattern, template in _FACT_PATTERNS:
                    match = pattern.match(sentence)
                    if match:
                        facts.append(template.format(match.group(1)))
        return facts

    def complete_json(self, messages: Sequence[ChatMessage], schema: type[T]) -> T:
        raise NotImplementedError("StepLLM does not do structured output")

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    @property
    def context_size(self) -> int:
        return 4096

    def close(self) -> None:
        pass


def _key_words(text: str) -> list[str]:
    """The content words of `text` as written, each once."""
    out: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z']+", text):
        if len(word) > 2 and word.lower() not in STOP_WORDS and word not in out:
            out.append(word)
    return out


def say(bank: MemoryBank, conversation_id: int, text: str, when: datetime) -> Message:
    """What ChatService.send stores for a user's turn: the message and its turn memory."""
    message = bank.store.add_message(conversation_id, "user", text, when)
    bank.remember(
        Kind.TURN, text, when, conversation_id=conversation_id, source_message_ids=[message.id]
    )
    return message


def make_bank(
    tmp_path: Path,
    embedder: HashEmbedder | None = None,
    store: SQLiteStore | None = None,
    decay: DecayPolicy | None = None,
    settings: RecallSettings | None = None,
) -> MemoryBank:
    """A MemoryBank on a real SQLite store and a real Chroma index, both in `tmp_path`."""
    embedder = embedder or HashEmbedder()
    store = store or SQLiteStore(tmp_path / "membank.sqlite3")
    index = ChromaIndex(tmp_path / "chroma", embedder.model_id, embedder.dim)
    return MemoryBank(store, index, embedder, decay or DecayPolicy(), settings)

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
from memory.decay import DecayPolicy
from memory.index import ChromaIndex
from memory.retrieval import RecallSettings
from memory.store import STOP_WORDS, SQLiteStore
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

"""The small interfaces the rest of membank uses to talk to models."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, TypedDict, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)


class ChatMessage(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


class CancelToken(Protocol):
    def is_set(self) -> bool: ...


class LLM(Protocol):
    model_id: str

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        cancel: CancelToken | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        repeat_penalty: float | None = None,
        grammar: str | None = None,
    ) -> Iterator[str]: ...

    def complete_json(self, messages: Sequence[ChatMessage], schema: type[T]) -> T: ...

    def count_tokens(self, text: str) -> int: ...

    @property
    def context_size(self) -> int: ...

    def close(self) -> None: ...


class Embedder(Protocol):
    model_id: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...

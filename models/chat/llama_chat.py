"""Chat with a GGUF model in-process through llama-cpp-python (GPU offload where built in)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from models.errors import ModelLoadError, ModelOutputError
from models.hub.discovery import check_gguf
from models.protocols import CancelToken, ChatMessage

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class LlamaSettings:
    model_path: Path
    n_ctx: int = 4096
    n_threads: int | None = None  # None: llama.cpp picks (physical cores)
    n_gpu_layers: int = -1  # -1: offload every layer the build can; ignored on CPU-only builds
    max_tokens: int = 512
    temperature: float = 0.2
    seed: int = 1234


def gpu_offload_supported() -> bool:
    """Whether this llama-cpp-python build can offload layers to a GPU."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


class LlamaChat:
    """One `Llama` instance. Use it from one thread only (llama.cpp is not thread-safe)."""

    def __init__(self, settings: LlamaSettings) -> None:
        check_gguf(settings.model_path)
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelLoadError(
                str(settings.model_path),
                f"llama-cpp-python is not installed ({exc})",
                "Run `make run` to install it.",
            ) from exc
        self.settings = settings
        self.model_id = settings.model_path.name
        self._lock = threading.Lock()
        try:
            self._llama: Any = Llama(
                model_path=str(settings.model_path),
                n_ctx=settings.n_ctx,
                n_threads=settings.n_threads or max(1, (os.cpu_count() or 2)),
                n_gpu_layers=settings.n_gpu_layers,
                seed=settings.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(
                str(settings.model_path), f"llama.cpp refused the file ({exc})"
            ) from exc
        self._closed = False

    @property
    def context_size(self) -> int:
        return int(self._llama.n_ctx())

    @property
    def offloaded_layers(self) -> int:
        """Layers asked to run on the GPU (0 on a CPU-only build)."""
        return self.settings.n_gpu_layers if gpu_offload_supported() else 0

    def _check_open(self) -> None:
        if self._closed:
            raise ModelLoadError(
                str(self.settings.model_path),
                "this chat model was closed (the settings switched to another one)",
                "Try again: the new model answers from now on.",
            )

    def count_tokens(self, text: str) -> int:
        self._check_open()
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        cancel: CancelToken | None = None,
        max_tokens: int | None = None,
    ) -> Iterator[str]:
        """Yield the reply piece by piece; stops between tokens once `cancel` is set."""
        with self._lock:
            self._check_open()
            stream = self._llama.create_chat_completion(
                messages=list(messages),
                stream=True,
                max_tokens=max_tokens or self.settings.max_tokens,
                temperature=self.settings.temperature,
            )
            try:
                for chunk in stream:
                    if cancel is not None and cancel.is_set():
                        break
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            finally:
                stream.close()

    def complete_json(self, messages: Sequence[ChatMessage], schema: type[T]) -> T:
        """A grammar-constrained JSON answer validated against `schema`.

        Raises ModelOutputError (never anything else) when the output does not validate.
        """
        with self._lock:
            self._check_open()
            result = self._llama.create_chat_completion(
                messages=list(messages),
                response_format={"type": "json_object", "schema": schema.model_json_schema()},
                max_tokens=self.settings.max_tokens,
                temperature=0.0,
            )
        raw = result["choices"][0]["message"].get("content") or ""
        try:
            return schema.model_validate(json.loads(raw))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ModelOutputError(
                f"The model's answer is not valid {schema.__name__} JSON: {exc}", raw
            ) from exc

    def close(self) -> None:
        """Free the model; waits (30 s at most) for a reply or step in progress on another
        thread, and later calls raise ModelLoadError instead of touching freed memory."""
        # Wait for a running reply (a model switch must not free the model under it), but not
        # forever: a reply generator nobody closed would hold the lock until collected.
        locked = self._lock.acquire(timeout=30)
        try:
            if not self._closed:
                self._closed = True
                self._llama.close()
        finally:
            if locked:
                self._lock.release()

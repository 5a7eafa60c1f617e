"""Chat with a GGUF model in-process through llama-cpp-python (GPU offload where built in)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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
    """One `Llama` instance, its calls serialised by a lock (llama.cpp is not thread-safe).

    `close()` never frees the model under a running call: it waits for it, and if that takes
    too long, the call frees the model itself as it ends."""

    def __init__(self, settings: LlamaSettings, *, llama: Any = None) -> None:
        """`llama`: an engine built elsewhere (a unit test's stand-in); else the GGUF loads."""
        self.settings = settings
        self.model_id = settings.model_path.name
        self._lock = threading.Lock()  # held for the whole of a call into llama.cpp
        self._closing = False  # set once by close(): no new call starts
        self._closed = False  # the model is freed
        self._llama: Any = llama if llama is not None else _load(settings)
        self._context_size = int(self._llama.n_ctx())  # readable after close, unlike the engine
        self._grammars: dict[str, Any] = {}

    @property
    def context_size(self) -> int:
        return self._context_size

    @property
    def offloaded_layers(self) -> int:
        """Layers asked to run on the GPU (0 on a CPU-only build)."""
        return self.settings.n_gpu_layers if gpu_offload_supported() else 0

    @property
    def closed(self) -> bool:
        """The model is freed (False while a deferred close waits for a call to end)."""
        return self._closed

    @contextmanager
    def _in_use(self) -> Iterator[None]:
        """Hold the model for one call; a close that gave up waiting is finished here."""
        with self._lock:
            try:
                if self._closing:
                    raise ModelLoadError(
                        str(self.settings.model_path),
                        "this chat model was closed (the settings switched to another one)",
                        "Try again: the new model answers from now on.",
                    )
                yield
            finally:
                if self._closing:
                    self._free()

    def _free(self) -> None:
        """Free the engine; only ever called with `self._lock` held."""
        if not self._closed:
            self._closed = True
            self._llama.close()

    def count_tokens(self, text: str) -> int:
        with self._in_use():
            return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

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
        """Yield the reply piece by piece; stops between tokens once `cancel` is set."""
        with self._in_use():
            stream = self._llama.create_chat_completion(
                messages=list(messages),
                stream=True,
                max_tokens=max_tokens or self.settings.max_tokens,
                temperature=self.settings.temperature if temperature is None else temperature,
                # llama.cpp's own default (1.0: off) unless a step asks for one.
                repeat_penalty=1.0 if repeat_penalty is None else repeat_penalty,
                grammar=self._grammar(grammar),
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

    def _grammar(self, text: str | None) -> Any:
        """llama.cpp's GBNF grammar for `text`, parsed once per distinct grammar."""
        if text is None:
            return None
        if text not in self._grammars:
            from llama_cpp.llama_grammar import LlamaGrammar

            self._grammars[text] = LlamaGrammar.from_string(text, verbose=False)
        return self._grammars[text]

    def complete_json(self, messages: Sequence[ChatMessage], schema: type[T]) -> T:
        """A grammar-constrained JSON answer validated against `schema`.

        Raises ModelOutputError (never anything else) when the output does not validate.
        """
        with self._in_use():
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

    def close(self, wait: float = 30.0) -> None:
        """Free the model, never under a running call: later calls raise ModelLoadError.

        Waits `wait` seconds at most for a reply or step in progress on another thread; if
        it is still running then (a reply generator nobody closed holds the lock until it is
        collected), the close is deferred: that call frees the model as it ends (`closed`
        tells which happened)."""
        self._closing = True  # before waiting: any call ending from now on frees the model
        if not self._lock.acquire(timeout=wait):
            log.info("chat model %s busy: it is freed when its call ends", self.model_id)
            return
        try:
            self._free()
        finally:
            self._lock.release()


def _load(settings: LlamaSettings) -> Any:
    check_gguf(settings.model_path)
    try:
        from llama_cpp import Llama
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelLoadError(
            str(settings.model_path),
            f"llama-cpp-python is not installed ({exc})",
            "Run `make run` to install it.",
        ) from exc
    try:
        return Llama(
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

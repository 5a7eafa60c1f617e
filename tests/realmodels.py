"""Session-wide real models (bundled GGUF and MiniLM) and runtimes on temporary data folders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from app.bootstrap import Runtime, open_bank, open_runtime
from app.config import Config
from models.chat.llama_chat import LlamaChat
from models.embedder import SentenceEmbedder

_cache: dict[str, object] = {}


def shared_embedder() -> SentenceEmbedder:
    from app.bootstrap import load_embedder

    if "embedder" not in _cache:
        _cache["embedder"] = load_embedder(Config())
    return _cache["embedder"]  # type: ignore[return-value]


def shared_llm() -> LlamaChat:
    from app.bootstrap import load_llm

    if "llm" not in _cache:
        _cache["llm"] = load_llm(Config())
    return _cache["llm"]  # type: ignore[return-value]


def close_shared() -> None:
    llm = _cache.pop("llm", None)
    if isinstance(llm, LlamaChat):
        llm.close()


@contextmanager
def ready_runtime(data_dir: Path, now: datetime | None = None) -> Iterator[Runtime]:
    """A runtime on `data_dir` with the shared real models attached (as after start-up)."""
    runtime = open_runtime(str(data_dir), now)
    try:
        bank = open_bank(runtime, shared_embedder())
        bank.reconcile()
        runtime.host.attach(bank, shared_llm(), borrowed=True)  # closed at session end
        yield runtime
    finally:
        runtime.close()

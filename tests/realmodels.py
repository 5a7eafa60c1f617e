"""Session-wide real models (bundled GGUF and MiniLM) and runtimes on temporary data folders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from app.bootstrap import Runtime, open_bank, open_runtime
from app.config import Config, EmbedderConfig
from models.chat.llama_chat import LlamaChat
from models.embedder_backend import Backend
from models.protocols import Embedder

_cache: dict[str, object] = {}


def shared_embedder(backend: Backend | None = None) -> Embedder:
    """The bundled MiniLM on `backend` (None: the app's default), loaded once a session (an
    ONNX backend's export lands in the session's MEMBANK_CACHE, see tests/conftest.py)."""
    from app.bootstrap import load_embedder

    config = Config()
    if backend is not None:
        config = config.model_copy(update={"embedder": EmbedderConfig(backend=backend)})
    key = f"embedder:{config.embedder.backend}"
    if key not in _cache:
        _cache[key] = load_embedder(config)
    return _cache[key]  # type: ignore[return-value]


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

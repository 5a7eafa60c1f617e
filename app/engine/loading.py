"""Building the models a membank runs with, from its settings: the chat engine, the embedder,
the index and the bank. `app/bootstrap.py` (the composition root) and the engine's swaps
(settings, model manager) both build through here; nothing here imports the composition root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from app.config import Config, ConfigError, Paths, cache_dir
from app.engine.host import ModelHost
from memory.bank import MemoryBank
from memory.lifecycle.decay import DecayPolicy
from memory.recall.retrieval import RecallSettings
from memory.storage.index import ChromaIndex
from memory.storage.remote_index import namespace_for, open_server_index
from memory.storage.store import SQLiteStore
from models.chat.llama_chat import LlamaChat, LlamaSettings
from models.chat.openai_chat import OpenAIChat, RemoteSettings
from models.embedder_backend import load_sentence_embedder
from models.hub.discovery import embedder_model_id, resolve_chat_model, resolve_embedder
from models.protocols import LLM, Embedder


class EngineParts(Protocol):
    """What the engine needs of a running membank (`app.bootstrap.Runtime` is one)."""

    @property
    def paths(self) -> Paths: ...

    @property
    def store(self) -> SQLiteStore: ...

    @property
    def host(self) -> ModelHost: ...

    @property
    def config(self) -> Config: ...


def decay_policy(config: Config) -> DecayPolicy:
    m = config.memory
    return DecayPolicy(m.initial_strength, m.recall_boost, m.fade_threshold, m.retention_weight)


def load_embedder(config: Config, cache: Path | None = None) -> Embedder:
    """The embedder the settings ask for, on their backend; an ONNX backend's export is made
    once into `cache` (default: `cache_dir()`/onnx) and reused."""
    configured = config.embedder.model_path or None
    return load_sentence_embedder(
        resolve_embedder(configured),
        embedder_model_id(configured),
        config.embedder.backend,
        cache or cache_dir() / "onnx",
    )


def load_llm(config: Config) -> LLM:
    """The chat engine the settings ask for: in-process llama.cpp or an OpenAI-compatible URL."""
    c = config.llm
    if c.engine == "openai":
        return load_remote_llm(config)
    return LlamaChat(
        LlamaSettings(
            model_path=resolve_chat_model(c.model_path or None),
            n_ctx=c.n_ctx,
            n_threads=c.n_threads or None,
            n_gpu_layers=c.n_gpu_layers,
            max_tokens=c.max_tokens,
            temperature=c.temperature,
        )
    )


def load_remote_llm(config: Config, env: dict[str, str] | None = None) -> OpenAIChat:
    c = config.llm
    env = dict(os.environ) if env is None else env
    if not c.base_url.strip():
        raise ConfigError(
            '[llm] engine = "openai" needs [llm] base_url, e.g. "http://127.0.0.1:8080/v1" '
            'for llama-server or "http://127.0.0.1:11434/v1" for Ollama.'
        )
    llm = OpenAIChat(
        RemoteSettings(
            base_url=c.base_url,
            model=c.api_model,
            api_key=env.get("MEMBANK_LLM_API_KEY") or c.api_key,
            n_ctx=c.n_ctx,
            max_tokens=c.max_tokens,
            temperature=c.temperature,
            timeout_s=c.timeout_s,
        )
    )
    try:
        llm.check()  # fails now, with the URL and what to do, rather than at the first message
    except Exception:
        llm.close()
        raise
    return llm


def open_index(
    runtime: EngineParts, embedder: Embedder, config: Config | None = None
) -> ChromaIndex:
    """The embedded index folder, or this data dir's collection on a Chroma server."""
    config = config or runtime.config
    url = config.index.server_url.strip()
    if not url:
        return ChromaIndex(runtime.paths.index_dir, embedder.model_id, embedder.dim)
    namespace = namespace_for(runtime.paths.data_dir, config.index.namespace)
    return open_server_index(url, namespace, embedder.model_id, embedder.dim)


def recall_settings(config: Config) -> RecallSettings:
    m = config.memory
    return RecallSettings(
        k=m.recall_k, min_similarity=m.min_similarity, graph_weight=m.graph_weight
    )


def open_bank(runtime: EngineParts, embedder: Embedder, config: Config | None = None) -> MemoryBank:
    config = config or runtime.config
    index = open_index(runtime, embedder, config)
    return MemoryBank(runtime.store, index, embedder, decay_policy(config), recall_settings(config))

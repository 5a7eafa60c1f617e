"""The composition root: the one place that builds the real store, index and models."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.config import Config, ConfigError, Paths, load_config, resolve_paths
from app.engine.host import ModelHost
from app.instance import InstanceLock
from app.jobs.daily import MemoryJobs
from app.jobs.scheduler import MemoryScheduler
from app.privacy import folders as private_folders
from app.services.archive import ArchiveService
from app.services.chat import ChatService
from app.services.curation import MemoryCuration
from app.services.people import PeopleService
from app.services.privacy import PrivacyService
from memory.bank import MemoryBank
from memory.clock import Clock, ShiftedClock, SystemClock
from memory.errors import VectorIndexError
from memory.lifecycle.decay import DecayPolicy
from memory.recall.retrieval import RecallSettings
from memory.storage.encryption import passphrase_from_env
from memory.storage.index import ChromaIndex, drop_index_folder
from memory.storage.remote_index import namespace_for, open_server_index
from memory.storage.repair import mark_interrupted_jobs
from memory.storage.store import SQLiteStore
from models.chat.llama_chat import LlamaChat, LlamaSettings
from models.chat.openai_chat import OpenAIChat, RemoteSettings
from models.embedder import SentenceEmbedder
from models.hub.discovery import embedder_model_id, resolve_chat_model, resolve_embedder
from models.protocols import LLM, Embedder

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


@dataclass
class Runtime:
    """What a running membank holds: the instance lock, the store, the model host (models and
    settings) and the services built on them."""

    paths: Paths
    clock: Clock
    lock: InstanceLock
    store: SQLiteStore
    host: ModelHost
    chat: ChatService
    curation: MemoryCuration
    archive: ArchiveService
    privacy: PrivacyService
    scheduler: MemoryScheduler | None = None
    notices: list[str] = field(default_factory=list)  # things start-up healed, to tell the user

    @property
    def config(self) -> Config:
        """The settings in effect (changed only through `host.swap(config=...)`)."""
        return self.host.config

    @property
    def people(self) -> PeopleService:
        """People, places and things (stateless over the store: made on each use)."""
        return PeopleService(self.store, self.privacy)

    def jobs(self) -> MemoryJobs:
        idle = timedelta(minutes=self.config.scheduler.idle_minutes)
        return MemoryJobs(self.host, self.archive, self.clock, idle)

    def start_scheduler(self) -> MemoryScheduler:
        """Background consolidation, daily run and decay (the GUI; the CLI runs jobs directly)."""
        if self.scheduler is None:
            self.scheduler = MemoryScheduler(self.jobs(), self.config.scheduler, self.clock)
            self.scheduler.start()
        return self.scheduler

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        self.host.close()
        self.store.close()
        self.lock.release()


def make_clock(now: datetime | None) -> Clock:
    return ShiftedClock(now) if now is not None else SystemClock()


def open_runtime(
    data_dir: str | None = None,
    now: datetime | None = None,
    *,
    tighten: bool = True,
    lock_timeout: float = 0,
) -> Runtime:
    """Fast part of start-up (no models): settings, the lock, the SQLite store. `tighten`:
    make the folders owner-only first, and say so when they were not (`doctor` only checks).
    `lock_timeout`: how long to wait for a folder another membank holds (membank-mcp holds it
    only for the length of one call)."""
    paths = resolve_paths(data_dir)
    config = load_config(paths.config_file)
    notices = private_folders.notices(private_folders.secure(paths)) if tighten else []
    lock = InstanceLock(paths.lock_file)
    try:
        lock.acquire(lock_timeout)
    except OSError as exc:
        from memory.errors import DataDirError

        raise DataDirError(str(paths.data_dir), exc.strerror or str(exc)) from exc
    try:
        store = SQLiteStore(paths.database, passphrase_from_env())
    except Exception:
        lock.release()
        raise
    try:
        if interrupted := mark_interrupted_jobs(store):
            log.info("%d background job runs were cut off: marked interrupted", interrupted)
    except Exception:
        store.close()
        lock.release()
        raise
    clock = make_clock(now)
    host = ModelHost(config)
    return Runtime(
        paths,
        clock,
        lock,
        store,
        host,
        ChatService(store, host, clock),
        MemoryCuration(store, host, clock),
        ArchiveService(store, host, clock),
        PrivacyService(store, host, clock),
        notices=notices,
    )


def decay_policy(config: Config) -> DecayPolicy:
    m = config.memory
    return DecayPolicy(m.initial_strength, m.recall_boost, m.fade_threshold, m.retention_weight)


def load_embedder(config: Config) -> SentenceEmbedder:
    configured = config.embedder.model_path or None
    return SentenceEmbedder(resolve_embedder(configured), embedder_model_id(configured))


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


def open_index(runtime: Runtime, embedder: Embedder, config: Config | None = None) -> ChromaIndex:
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


def open_bank(
    runtime: Runtime, embedder: SentenceEmbedder, config: Config | None = None
) -> MemoryBank:
    config = config or runtime.config
    index = open_index(runtime, embedder, config)
    return MemoryBank(runtime.store, index, embedder, decay_policy(config), recall_settings(config))


def load_models(runtime: Runtime, progress: Progress = lambda _: None) -> None:
    """Slow part of start-up: embedder, index (healed from the store), chat model."""
    progress("Loading the embedding model…")
    embedder = load_embedder(runtime.config)
    progress("Opening the memory index…")
    try:
        bank = open_bank(runtime, embedder)
    except VectorIndexError as exc:  # derived data: rebuild it from the store, and say so
        notice = "The memory index was damaged; it is being rebuilt from the store."
        log.warning("%s (%s)", notice, exc.__cause__ or exc)
        runtime.notices.append(notice)
        progress(notice)
        drop_index_folder(runtime.paths.index_dir)
        bank = open_bank(runtime, embedder)
    report = bank.reconcile(quick=True)  # full id comparison: `doctor`
    if report.missing or report.orphans:
        log.info("index healed: %d re-indexed, %d orphans removed", report.missing, report.orphans)
    progress("Loading the chat model…")
    llm = load_llm(runtime.config)
    runtime.host.attach(bank, llm)
    progress("Ready")


def start_models(runtime: Runtime, progress: Progress = lambda _: None) -> None:
    """The desktop app's start-up on the models' thread: load the models (unless they are
    attached already) and start the scheduler when it is enabled."""
    if runtime.host.ready:
        return
    load_models(runtime, progress)
    if runtime.config.scheduler.enabled:
        runtime.start_scheduler()

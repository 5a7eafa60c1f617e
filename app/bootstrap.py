"""The composition root: the one place that builds the real store, index and models."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.config import Config, Paths, load_config, resolve_paths
from app.engine.host import ModelHost
from app.engine.loading import (  # re-exported: the CLI, benches and tests build through here
    decay_policy,
    load_embedder,
    load_llm,
    load_remote_llm,
    open_bank,
    open_index,
    recall_settings,
)
from app.instance import InstanceLock
from app.jobs.daily import MemoryJobs
from app.jobs.scheduler import MemoryScheduler
from app.privacy import folders as private_folders
from app.services.archive import ArchiveService
from app.services.chat import ChatService
from app.services.curation import MemoryCuration
from app.services.people import PeopleService
from app.services.privacy import PrivacyService
from memory.clock import Clock, ShiftedClock, SystemClock
from memory.errors import VectorIndexError
from memory.storage.encryption import passphrase_from_env
from memory.storage.index import drop_index_folder
from memory.storage.repair import mark_interrupted_jobs
from memory.storage.store import SQLiteStore

__all__ = [  # the builders live in app.engine.loading; callers may keep importing them here
    "Progress",
    "Runtime",
    "decay_policy",
    "load_embedder",
    "load_llm",
    "load_models",
    "load_remote_llm",
    "open_bank",
    "open_index",
    "open_runtime",
    "recall_settings",
    "start_models",
]

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
        """The settings in effect (changed only through `host.update_config`)."""
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
    host = ModelHost(config, paths.config_file)
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

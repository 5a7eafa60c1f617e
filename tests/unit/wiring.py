"""The services wired as `open_runtime` wires them, on a given store, clock and models."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import Config
from app.engine.host import ModelHost
from app.services.archive import ArchiveService
from app.services.chat import ChatService
from app.services.curation import MemoryCuration
from app.services.privacy import PrivacyService
from memory.bank import MemoryBank
from memory.clock import Clock
from memory.storage.store import SQLiteStore
from models.protocols import LLM


@dataclass
class Services:
    """The same attribute names as `app.bootstrap.Runtime`, without the lock and the paths."""

    store: SQLiteStore
    clock: Clock
    host: ModelHost
    chat: ChatService
    curation: MemoryCuration
    archive: ArchiveService
    privacy: PrivacyService

    @property
    def config(self) -> Config:
        return self.host.config


def make_services(
    config: Config,
    store: SQLiteStore,
    clock: Clock,
    bank: MemoryBank | None = None,
    llm: LLM | None = None,
) -> Services:
    host = ModelHost(config)
    if bank is not None or llm is not None:
        host.swap(bank=bank, llm=llm)
    return Services(
        store,
        clock,
        host,
        ChatService(store, host, clock),
        MemoryCuration(store, host, clock),
        ArchiveService(store, host, clock),
        PrivacyService(store, host, clock),
    )

"""The one place membank-mcp touches the app's services: what each tool reads and writes."""

from __future__ import annotations

from dataclasses import dataclass

from app.service import AssistantService, ModelsNotReadyError
from memory.consolidation.hierarchy import HierarchyStore
from memory.lifecycle.erase import ForgetReport
from memory.records import Kind, Memory, Recalled
from memory.storage.store import SQLiteStore


@dataclass(frozen=True)
class DayDigest:
    day: str
    summary: Memory | None
    persona: Memory | None


class MemoryAccess:
    """Recall, remember, forget and the overviews, over a service whose index is open (the chat
    model is not needed: membank-mcp on its own never loads one)."""

    def __init__(self, service: AssistantService) -> None:
        self.service = service

    @property
    def store(self) -> SQLiteStore:
        return self.service.store

    @property
    def ready(self) -> bool:
        return self.service.bank is not None

    def recall(self, query: str, k: int) -> list[Recalled]:
        bank = self.service.bank
        if bank is None:
            raise ModelsNotReadyError()
        # The chat's own recall (hybrid, time-aware, the forgetting curve, newest facts first).
        return self.service._recall(bank, query, self.service.clock.now(), k)

    def remember(self, text: str) -> Memory:
        if self.service.bank is None:
            raise ModelsNotReadyError()
        return self.service.capture(text)

    def forget(self, memory_id: str) -> ForgetReport:
        return self.service.forget([self.service.memory(memory_id).id])

    def persona(self) -> tuple[Memory | None, Memory | None]:
        overview = self.service.overview()
        return overview.persona, overview.summary

    def days(self, day: str | None, limit: int) -> list[DayDigest]:
        return [DayDigest(d.day, d.summary, d.persona) for d in self.service.days(day)][:limit]

    def facts(self) -> list[Memory]:
        return HierarchyStore(self.store).of_kind(Kind.FACT)

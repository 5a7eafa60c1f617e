"""The one place membank-mcp touches the app's services: what each tool reads and writes."""

from __future__ import annotations

from dataclasses import dataclass

from app.service import AssistantService, ModelsNotReadyError
from memory.consolidation.hierarchy import HierarchyStore
from memory.errors import NotFoundError
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

    def recall(self, query: str, k: int, space: str) -> list[Recalled]:
        bank = self.service.bank
        if bank is None:
            raise ModelsNotReadyError()
        # The chat's own recall (hybrid, time-aware, the forgetting curve, newest facts first).
        return self.service._recall(bank, query, self.service.clock.now(), k, space)

    def remember(self, text: str, space: str) -> Memory:
        if self.service.bank is None:
            raise ModelsNotReadyError()
        return self.service.capture(text, space)

    def forget(self, memory_id: str, space: str) -> ForgetReport:
        """Only a memory of the app's own space (an app never deletes another space's)."""
        memory = self.service.memory(memory_id)
        if memory.space != space:
            raise NotFoundError(f"There is no memory {memory_id!r} in the space {space!r}.")
        return self.service.forget([memory.id])

    def persona(self, space: str) -> tuple[Memory | None, Memory | None]:
        overview = self.service.overview(space)
        return overview.persona, overview.summary

    def days(self, day: str | None, limit: int, space: str) -> list[DayDigest]:
        days = self.service.days(day, space)
        return [DayDigest(d.day, d.summary, d.persona) for d in days][:limit]

    def facts(self) -> list[Memory]:
        return HierarchyStore(self.store).of_kind(Kind.FACT)

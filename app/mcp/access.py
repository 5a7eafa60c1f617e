"""The one place membank-mcp touches the app's services: what each tool reads and writes."""

from __future__ import annotations

from dataclasses import dataclass

from app.bootstrap import Runtime
from app.engine.host import ModelHost
from app.services.curation import MemoryCuration
from app.services.people import PeopleService, Timeline
from app.services.privacy import PrivacyService
from app.services.recall import recall
from memory.clock import Clock
from memory.errors import NotFoundError
from memory.lifecycle.erase import ForgetReport
from memory.records import Memory, Recalled
from memory.storage.store import SQLiteStore


@dataclass(frozen=True)
class DayDigest:
    day: str
    summary: Memory | None
    persona: Memory | None


class MemoryAccess:
    """Recall, remember, forget and the overviews, once the host has a bank (the chat model is
    not needed: membank-mcp on its own never loads one)."""

    def __init__(
        self,
        store: SQLiteStore,
        host: ModelHost,
        curation: MemoryCuration,
        privacy: PrivacyService,
        clock: Clock,
    ) -> None:
        self.store = store
        self.host = host
        self.curation = curation
        self.privacy = privacy
        self.clock = clock

    @staticmethod
    def of(runtime: Runtime) -> MemoryAccess:
        return MemoryAccess(
            runtime.store, runtime.host, runtime.curation, runtime.privacy, runtime.clock
        )

    @property
    def ready(self) -> bool:
        return self.host.models.bank is not None

    def recall(self, query: str, k: int, space: str) -> list[Recalled]:
        # The chat's own recall (hybrid, time-aware, the forgetting curve, newest facts first).
        # Nothing is strengthened: an app looking is not the user using a memory.
        with self.host.lease() as models:
            return recall(models.require_bank(), query, self.clock.now(), k, space)

    def remember(self, text: str, space: str, actor: str) -> Memory:
        self.host.models.require_bank()  # stored and indexed now, not at the next start
        return self.curation.capture(text, space, actor=actor)

    def forget(self, memory_id: str, space: str, actor: str) -> ForgetReport:
        """Only a memory of the app's own space (an app never deletes another space's)."""
        memory = self.store.memory(memory_id)
        if memory.space != space:
            raise NotFoundError(f"There is no memory {memory_id!r} in the space {space!r}.")
        return self.privacy.forget([memory.id], actor=actor)

    def about(self, name: str, limit: int, space: str) -> Timeline:
        """The timeline of the person, place or thing called `name` (EntityError if none)."""
        return PeopleService(self.store, self.privacy).timeline(name, limit, space)

    def persona(self, space: str) -> tuple[Memory | None, Memory | None]:
        overview = self.curation.overview(space)
        return overview.persona, overview.summary

    def days(self, day: str | None, limit: int, space: str) -> list[DayDigest]:
        days = self.curation.days(day, space)
        return [DayDigest(d.day, d.summary, d.persona) for d in days][:limit]

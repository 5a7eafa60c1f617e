"""PeopleService: the people, places and things in memory, their timelines, and the user's
corrections (merge, rename, alias) and forgetting everything about one."""

from __future__ import annotations

from dataclasses import dataclass

from app.services.privacy import PrivacyService
from memory.graph.store import Entity, MemoryGraph
from memory.lifecycle.erase import ForgetReport
from memory.records import Memory
from memory.storage.store import SQLiteStore


@dataclass(frozen=True)
class Timeline:
    entity: Entity
    memories: tuple[Memory, ...]  # in the order they happened


class PeopleService:
    """Runs on the store's thread (the window's executor, the CLI, membank-mcp)."""

    def __init__(self, store: SQLiteStore, privacy: PrivacyService) -> None:
        self.graph = MemoryGraph(store)
        self.privacy = privacy

    def entities(self, kind: str | None = None, space: str | None = None) -> list[Entity]:
        """Every entity, the most-named first; with `space`, those named in that space's
        memories (or shared ones)."""
        found = self.graph.entities(kind)
        if space is None:
            return found
        visible = self.graph.entity_ids_in_space(space)
        return [e for e in found if e.id in visible]

    def timeline(
        self, name_or_id: str | int, limit: int = 200, space: str | None = None
    ) -> Timeline:
        """EntityError (one line) when no entity has that name."""
        entity = self.graph.entity(name_or_id)
        memories = self.graph.timeline(entity.id, limit)
        if space is not None:
            memories = [m for m in memories if m.space == space or m.shared]
        return Timeline(entity, tuple(memories))

    def memory_ids(self, entity_id: int) -> list[str]:
        return self.graph.memory_ids_of(entity_id)

    def merge(self, source: str | int, target: str | int) -> Entity:
        return self.graph.merge(self.graph.entity(source).id, self.graph.entity(target).id)

    def rename(self, entity: str | int, name: str) -> Entity:
        return self.graph.rename(self.graph.entity(entity).id, name)

    def add_alias(self, entity: str | int, alias: str) -> Entity:
        return self.graph.add_alias(self.graph.entity(entity).id, alias)

    def forget_about(self, entity: str | int) -> ForgetReport:
        """Every memory naming it forgotten for good (the forget-about path: derived items
        too), and the entity with them, since no memory names it any more."""
        found = self.graph.entity(entity)
        report = self.privacy.forget(self.graph.memory_ids_of(found.id))
        self.graph.prune()
        return report

"""MemoryCuration: the memories themselves — remember, browse, pin, lock, restore, edit, search."""

from __future__ import annotations

from datetime import datetime

from app.engine.host import ModelHost
from app.services.events import Day, Overview
from app.services.recall import overview, recall
from memory.bank import IndexReport
from memory.clock import Clock, from_db
from memory.consolidation.hierarchy import HierarchyStore
from memory.lifecycle.decay import DecayPolicy
from memory.lifecycle.fading import restore
from memory.records import PERSONAL, Kind, Link, Memory, Recalled, State, check_space
from memory.storage.store import SQLiteStore
from models.errors import MembankError


class MemoryCuration:
    """Browsing works as soon as the store is open; what embeds needs the host's bank."""

    def __init__(self, store: SQLiteStore, host: ModelHost, clock: Clock) -> None:
        self.store = store
        self.host = host
        self.clock = clock

    # --- remembering -----------------------------------------------------------------------

    def remember(self, text: str, space: str = PERSONAL) -> Memory:
        """Store `text` as a note ("remember this") in `space`."""
        space = check_space(space)
        with self.host.lease() as models:
            bank = models.require_bank()
            text = text.strip()
            if not text:
                raise MembankError("Nothing to remember: the text is empty.")
            return bank.remember(Kind.NOTE, text, self.clock.now(), space=space)

    def remember_message(self, message_id: int) -> Memory:
        """ "Remember this" on a chat message: a note with the message's words, linked to it."""
        with self.host.lease() as models:
            bank = models.require_bank()
            message = self.store.message(message_id)
            return bank.remember(
                Kind.NOTE,
                message.text,
                self.clock.now(),
                conversation_id=message.conversation_id,
                source_message_ids=[message.id],
            )

    def capture(self, text: str, space: str = PERSONAL, *, actor: str = "user") -> Memory:
        """Quick capture: the note is committed at once, even while the models still load;
        its vector follows now if the embedder is ready, else at the next index reconcile."""
        text = text.strip()
        if not text:
            raise MembankError("Nothing to remember: the text is empty.")
        space = check_space(space)
        with self.host.lease() as models:
            if models.bank is not None:
                return models.bank.remember(
                    Kind.NOTE, text, self.clock.now(), space=space, actor=actor
                )
            initial = models.config.memory.initial_strength
        strength = DecayPolicy(initial).initial(Kind.NOTE, text)
        return self.store.add_memory(
            Kind.NOTE, text, self.clock.now(), strength=strength, space=space, actor=actor
        )

    # --- browsing --------------------------------------------------------------------------

    def memories(self, limit: int = 100, offset: int = 0, space: str | None = None) -> list[Memory]:
        """Newest first; `space`: that space's and the shared ones."""
        return self.store.memories(limit=limit, offset=offset, space=space)

    def spaces(self) -> list[str]:
        return self.store.spaces()

    def set_space(self, memory_id: str, space: str, shared: bool = False) -> Memory:
        """Move a memory to `space`; `shared`: recalled in every space."""
        memory = self.store.memory(memory_id)
        self.store.set_space(memory.id, check_space(space), shared)
        return self.store.memory(memory.id)

    def count_memories(self) -> int:
        return self.store.count_memories()

    def memory(self, memory_id: str) -> Memory:
        return self.store.memory(memory_id)

    def overview(self, space: str = PERSONAL) -> Overview:
        return overview(self.store, space)

    def days(self, day: str | None = None, space: str = PERSONAL) -> list[Day]:
        """Daily summaries and personas of `space`, newest first (or just `day`, YYYY-MM-DD)."""
        h = HierarchyStore(self.store)
        summaries = {
            (m.derive_key or "").split(":")[-1]: m
            for m in h.of_kind(Kind.DAILY_SUMMARY, active_only=False)
            if m.space == space
        }
        personas = {
            (m.derive_key or "").split(":")[-1]: m
            for m in h.of_kind(Kind.DAILY_PERSONA, active_only=False)
            if m.space == space
        }
        keys = sorted(set(summaries) | set(personas), reverse=True)
        return [Day(d, summaries.get(d), personas.get(d)) for d in keys if day in (None, d)]

    def links(self, memory_id: str) -> list[Link]:
        return HierarchyStore(self.store).links(self.store.memory(memory_id).id)

    def provenance(self, memory_id: str) -> tuple[datetime, int]:
        """When a derived entry was last rebuilt, and from how many memories."""
        memory = self.store.memory(memory_id)
        rows = self.store.rows("SELECT updated_at FROM memories WHERE id = ?", [memory.id])
        sources = HierarchyStore(self.store).sources(memory.id)
        return from_db(rows[0]["updated_at"]), len(sources)

    def used_by(self, memory_id: str) -> list[int]:
        """Ids of the assistant messages whose prompt used this memory."""
        return self.store.replies_using(self.store.memory(memory_id).id)

    def search(self, query: str, k: int = 10, space: str | None = None) -> list[Recalled]:
        """What recall finds for `query` (in `space` and the shared memories, if given)."""
        with self.host.lease() as models:
            return recall(models.require_bank(), query, self.clock.now(), k, space)

    def retention(self, memory: Memory) -> float:
        bank = self.host.models.require_bank()  # the decay policy only: no model is called
        return bank.decay.retention(memory, self.clock.now())

    def forgetting_curve(
        self, memory_id: str
    ) -> tuple[list[tuple[datetime, float]], list[datetime]]:
        """This memory's retention over time (sampled) and the times it was recalled."""
        memory = self.store.memory(memory_id)
        recalls = self.store.recall_events(memory.id)
        bank = self.host.models.bank
        decay = bank.decay if bank is not None else DecayPolicy()
        points = decay.curve(memory, recalls, self.clock.now())
        return points, [at for at, _ in recalls]

    def index_report(self) -> IndexReport:
        with self.host.lease() as models:
            return models.require_bank().index_report()

    # --- curating --------------------------------------------------------------------------

    def set_pinned(self, memory_id: str, pinned: bool) -> Memory:
        memory = self.store.memory(memory_id)
        HierarchyStore(self.store).set_flag(memory.id, "pinned", pinned)
        if pinned and memory.state is State.FADED:
            restore(self.store, memory.id, self.clock.now())
        return self.store.memory(memory.id)

    def set_locked(self, memory_id: str, locked: bool) -> Memory:
        """A locked entry (persona, summary, …) is left alone by consolidation; unlock to let
        the next run rewrite it."""
        memory = self.store.memory(memory_id)
        HierarchyStore(self.store).set_flag(memory.id, "locked", locked)
        return self.store.memory(memory.id)

    def restore(self, memory_id: str) -> Memory:
        """A faded memory comes back into recall, its forgetting clock restarted."""
        memory = self.store.memory(memory_id)
        restore(self.store, memory.id, self.clock.now())
        return self.store.memory(memory.id)

    def edit_memory(self, memory_id: str, text: str) -> Memory:
        """A user edit: new text, locked against consolidation, re-embedded and re-indexed."""
        text = text.strip()
        if not text:
            raise MembankError("Nothing to save: the text is empty.")
        memory = self.store.memory(memory_id)
        HierarchyStore(self.store).edit_text(memory.id, text, self.clock.now())
        with self.host.lease() as models:
            if models.bank is not None:
                models.bank.index_pending()  # its new text, re-embedded now
        return self.store.memory(memory.id)

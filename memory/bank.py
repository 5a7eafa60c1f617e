"""MemoryBank: remember, recall and strengthen memories across the store and the index."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from memory.errors import VectorIndexError
from memory.graph.store import MemoryGraph
from memory.lifecycle.decay import DecayPolicy
from memory.lifecycle.strengthen import record_recall
from memory.lifecycle.upgrade import upgrade_strengths
from memory.recall.retrieval import HybridRetriever, RecallSettings
from memory.recall.statements import with_their_messages
from memory.records import PERSONAL, Kind, Memory, Recalled
from memory.storage.index import ChromaIndex
from memory.storage.store import SQLiteStore
from models.protocols import Embedder

log = logging.getLogger(__name__)
GRAPH_CATCH_UP = 20_000


@dataclass(frozen=True)
class IndexReport:
    memories: int
    indexed: int
    missing: int  # in the store but not in the index
    orphans: int  # in the index but no longer in the store

    @property
    def consistent(self) -> bool:
        return self.missing == 0 and self.orphans == 0


@dataclass(frozen=True)
class Draft:
    """A memory to be written by `remember_many`."""

    kind: Kind
    text: str
    event_time: datetime | None = None
    conversation_id: int | None = None
    source_message_ids: tuple[int, ...] = ()


class MemoryBank:
    """Writes go to SQLite first and to Chroma after, so a crash loses and duplicates nothing:
    a memory whose vector did not land stays `indexed = 0` and is indexed by `reconcile()`."""

    def __init__(
        self,
        store: SQLiteStore,
        index: ChromaIndex,
        embedder: Embedder,
        decay: DecayPolicy,
        recall_settings: RecallSettings | None = None,
    ) -> None:
        self.store = store
        self.index = index
        self.embedder = embedder
        self.decay = decay
        self.graph = MemoryGraph(store)
        self.retriever = HybridRetriever(
            store, index, lambda texts: embedder.embed(texts), decay, recall_settings
        )
        # A store from before the curve in days: its strengths are recomputed once, here,
        # where the policy they are recomputed by is known.
        upgrade_strengths(store, decay)

    def remember(
        self,
        kind: Kind,
        text: str,
        now: datetime,
        *,
        event_time: datetime | None = None,
        conversation_id: int | None = None,
        source_message_ids: Iterable[int] = (),
        space: str = PERSONAL,
        actor: str = "user",
    ) -> Memory:
        memory = self.store.add_memory(
            kind,
            text,
            now,
            event_time=event_time,
            strength=self.decay.initial(kind, text),
            conversation_id=conversation_id,
            source_message_ids=source_message_ids,
            space=space,
            actor=actor,
        )
        self.graph.link([memory])  # cheap rules; the `graphed` mark redoes it if cut off
        # Committed in SQLite; a failed index write is logged and redone by reconcile().
        with contextlib.suppress(VectorIndexError):
            self._index([memory])
        return memory

    def remember_many(self, drafts: Sequence[Draft], now: datetime) -> list[Memory]:
        """Many memories at once (an imported conversation): each row committed as `remember`
        does, the vectors computed and indexed in batches, which is what makes import fast."""
        memories = [
            self.store.add_memory(
                d.kind,
                d.text,
                now,
                event_time=d.event_time,
                strength=self.decay.initial(d.kind, d.text),
                conversation_id=d.conversation_id,
                source_message_ids=d.source_message_ids,
            )
            for d in drafts
        ]
        if memories:
            self.graph.link(memories)
        for start in range(0, len(memories), 256):
            with contextlib.suppress(VectorIndexError):
                self._index(memories[start : start + 256])
        return memories

    def _index(self, memories: Sequence[Memory]) -> int:
        if not memories:
            return 0
        vectors = self.embedder.embed([m.text for m in memories])
        try:
            self.index.upsert([m.id for m in memories], vectors)
        except Exception as exc:  # noqa: BLE001 - stays unindexed; reconcile() retries
            log.warning("indexing %d memories failed, will retry: %s", len(memories), exc)
            raise VectorIndexError(f"The memory index could not be updated ({exc}).") from exc
        self.store.set_indexed([m.id for m in memories])
        return len(memories)

    def recall(
        self, query: str, now: datetime, k: int | None = None, space: str | None = None
    ) -> list[Recalled]:
        """`space`: only that space's memories and the shared ones (None: every space)."""
        return self.retriever.recall(query, now, k, space)

    def strengthen(self, used: Sequence[Recalled], now: datetime, message_id: int | None) -> None:
        """Record which memories a reply used, and strengthen them: S grows by the spacing
        effect, t restarts, and a faded memory a strong cue brought back is active again. A fact
        in the user's own words strengthens the message it stands for too."""
        if message_id is not None:
            self.store.record_reply_memories(message_id, [(r.memory.id, r.score) for r in used])
        ids = with_their_messages(self.store, [r.memory.id for r in used])
        record_recall(self.store, self.decay, ids, now, message_id)

    def close(self) -> None:
        self.index.close()

    def index_report(self) -> IndexReport:
        in_store = self.store.all_memory_ids()
        in_index = self.index.ids()
        return IndexReport(
            memories=len(in_store),
            indexed=len(in_store & in_index),
            missing=len(in_store - in_index),
            orphans=len(in_index - in_store),
        )

    def reconcile(self, batch: int = 256, *, quick: bool = False) -> IndexReport:
        """Bring the index in step with the store (start-up, after a crash, on a new embedder).

        `quick` (start-up): when the index holds exactly as many vectors as the store has rows
        marked indexed, only the unmarked rows are indexed, instead of comparing every id (a
        lost vector or an orphan changes the count; `doctor` still compares every id)."""
        if quick:
            marked = self.store.count_memories() - self.store.count_unindexed()
            if self.index.count() == marked:
                done = self.index_pending(batch)
                if done:
                    log.info("index reconciled: %d added", done)
                return IndexReport(marked + done, marked + done, done, 0)
        in_store = self.store.all_memory_ids()
        in_index = self.index.ids()
        orphans = sorted(in_index - in_store)
        self.index.delete(orphans)
        missing = in_store - in_index
        # Rows marked indexed whose vector is gone (e.g. a deleted index folder) are redone.
        if missing:
            self.store.set_indexed(sorted(missing), indexed=False)
        done = self.index_pending(batch)
        if orphans or done:
            log.info("index reconciled: %d added, %d orphans removed", done, len(orphans))
        return IndexReport(len(in_store), len(in_store), len(missing), len(orphans))

    def index_pending(self, batch: int = 256) -> int:
        """Embed and index the rows marked unindexed (new, or edited: the upsert replaces the
        old vector). O(pending), unlike a full reconcile, which lists every id."""
        done = 0
        while True:
            pending = self.store.unindexed(limit=batch)
            if not pending:
                break
            done += self._index(pending)
        # Rows written without remember() (a conversation import, consolidation, an archive)
        # join the graph here, as they join the index; a store from before the graph joins it
        # GRAPH_CATCH_UP memories per call (~15 s), so a start-up is never held for long.
        self.graph.link_pending(most=GRAPH_CATCH_UP)
        return done

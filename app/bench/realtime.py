"""`bench recall --realtime`: a conversation lived in time, then asked about the day after.

Each session is stored on its own date as chatting that day stores it (the user's message, the
recall that answers it, which strengthens what it used, then the turn memory), with a clock set
to the session's time. Between sessions the scheduler's jobs are replayed: the decay sweep each
day at `daily_at` (its hourly runs in the app end in the same state, retention only falls between
recalls), and with `consolidate` the real daily job (consolidation and reflection with the
configured chat model, no backup). The questions are asked the day after the last session.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from app.bootstrap import open_bank, open_runtime
from app.config import Config, SchedulerConfig
from app.jobs.daily import MemoryJobs
from app.jobs.scheduler import last_due
from app.services.recall import IN_SYSTEM_PROMPT
from app.transfer.conversations import ImportedTurn, turn_text
from app.transfer.locomo import BenchConversation
from memory.bank import MemoryBank
from memory.clock import ManualClock
from memory.consolidation.consolidator import FactSource, SummarySource
from memory.consolidation.hierarchy import HierarchyStore
from memory.consolidation.slot_facts import WORDS
from memory.lifecycle.decay import DecayPolicy
from memory.lifecycle.fading import sweep
from memory.recall.retrieval import HybridRetriever, RecallSettings
from memory.records import Kind, Memory, Recalled
from models.protocols import LLM, Embedder


@dataclass
class Lived:
    """What living one conversation left behind, for the report."""

    turns: int = 0
    faded_turns: int = 0
    jobs: dict[str, int] = field(default_factory=dict)


class CachedEmbedder:
    """The recall of a turn and the turn's own memory embed the same text: embed it once."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self._last: dict[str, npt.NDArray[np.float32]] = {}

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._last]
        fresh = dict(zip(missing, self.inner.embed(missing), strict=True)) if missing else {}
        out = [fresh[t] if t in fresh else self._last[t] for t in texts]
        if len(self._last) + len(fresh) > 64:  # a small window: a turn and its recall
            self._last.clear()
        self._last.update(fresh)
        return np.stack(out) if texts else self.inner.embed([])


def sessions_of(conv: BenchConversation) -> list[list[tuple[str, ImportedTurn]]]:
    """The conversation's sessions in order (dia ids "D<session>:<turn>")."""
    out: dict[str, list[tuple[str, ImportedTurn]]] = {}
    for dia, turn in conv.turns:
        out.setdefault(dia.split(":", 1)[0], []).append((dia, turn))
    return sorted(out.values(), key=lambda s: s[0][1].when)


def live(
    conv: BenchConversation,
    embedder: Embedder,
    settings: RecallSettings,
    ask: Callable[[HybridRetriever, dict[str, str], datetime], None],
    *,
    decay: DecayPolicy | None = None,
    llm: LLM | None = None,
    facts: FactSource | None = None,
    summaries: SummarySource | None = None,
) -> Lived:
    """Live `conv` session by session, then call `ask(retriever, dia id -> memory id, when)`."""
    lived = Lived()
    with tempfile.TemporaryDirectory(prefix="membank-realtime-") as folder:
        sessions = sessions_of(conv)
        start = sessions[0][0][1].when
        runtime = open_runtime(folder, now=start)
        clock = ManualClock(start)
        config = Config(
            backup=runtime.config.backup.model_copy(update={"enabled": False}),
            scheduler=SchedulerConfig(
                **({"facts": facts} if facts else {}),
                **({"summaries": summaries} if summaries else {}),
            ),
        )
        runtime.host.swap(config=config)
        try:
            bank = open_bank(runtime, CachedEmbedder(embedder))
            if decay is not None:
                bank.decay = decay
                bank.retriever.decay = decay
            jobs = None
            if llm is not None:  # the caller owns the chat model: borrowed, never closed here
                runtime.host.swap(bank=bank, llm=llm, borrowed=True)
                idle = timedelta(minutes=config.scheduler.idle_minutes)
                jobs = MemoryJobs(runtime.host, runtime.archive, clock, idle)
            by_dia: dict[str, str] = {}
            last = start
            for session in sessions:
                first = session[0][1].when
                _replay_jobs(bank, jobs, clock, last, first, runtime.config.scheduler, lived)
                conversation = runtime.store.create_conversation(conv.name, first)
                for dia, turn in session:
                    clock.set(turn.when)
                    by_dia[dia] = _chat_turn(bank, conversation.id, turn).id
                last = session[-1][1].when
            asked_at = conv.asked_at
            _replay_jobs(bank, jobs, clock, last, asked_at, runtime.config.scheduler, lived)
            clock.set(asked_at)
            sweep(bank.store, bank.decay, asked_at)
            counts = runtime.store.rows(
                "SELECT count(*) AS n, sum(state = 'faded') AS f FROM memories WHERE kind = 'turn'"
            )[0]
            lived.turns, lived.faded_turns = int(counts["n"] or 0), int(counts["f"] or 0)
            retriever = HybridRetriever(
                bank.store, bank.index, bank.embedder.embed, bank.decay, settings
            )
            retriever.times.warm_up(asked_at)
            ask(retriever, by_dia, asked_at)
            bank.close()
        finally:
            runtime.close()
    return lived


def _chat_turn(bank: MemoryBank, conversation_id: int, turn: ImportedTurn) -> Memory:
    """As ChatService.send stores a user's turn (without generating the reply): the
    message, the recall that would answer it (strengthening what the prompt used), the memory."""
    text = turn_text(turn)
    store = bank.store
    message = store.add_message(conversation_id, "user", text, turn.when)
    used = [r for r in bank.recall(text, turn.when) if r.memory.kind not in IN_SYSTEM_PROMPT]
    memory = bank.remember(
        Kind.TURN,
        text,
        turn.when,
        conversation_id=conversation_id,
        source_message_ids=[message.id],
    )
    bank.strengthen(used, turn.when, None)
    return memory


def _replay_jobs(
    bank: MemoryBank,
    jobs: MemoryJobs | None,
    clock: ManualClock,
    since: datetime,
    until: datetime,
    scheduler: SchedulerConfig,
    lived: Lived,
) -> None:
    """The daily runs the scheduler would have made in (since, until]: the real daily job with a
    chat model, else the decay sweep alone."""
    due = last_due(since, scheduler.daily_at) + timedelta(days=1)
    while due <= until:
        clock.set(due)
        if jobs is not None:
            result = jobs.run("daily")
            for key, n in result.counts.items():
                lived.jobs[key] = lived.jobs.get(key, 0) + n
            if result.error:
                lived.jobs["errors"] = lived.jobs.get("errors", 0) + 1
        else:
            lived.jobs["faded"] = lived.jobs.get("faded", 0) + sweep(bank.store, bank.decay, due)
        due += timedelta(days=1)


def without_overviews(found: Sequence[Recalled]) -> list[Recalled]:
    """What the app's recall keeps: the overview kinds go into the system prompt instead."""
    return [r for r in found if r.memory.kind not in IN_SYSTEM_PROMPT]


def as_turns(found: Sequence[Recalled], hierarchy: HierarchyStore) -> list[str]:
    """The ranked memory ids, a fact in the user's own words standing for the one turn it was
    put in the third person from (its card links to it), each id once."""
    out: list[str] = []
    for r in found:
        own = r.memory.kind is Kind.FACT and (r.memory.derive_key or "").startswith(WORDS)
        for i in hierarchy.sources(r.memory.id) if own else [r.memory.id]:
            if i not in out:
                out.append(i)
    return out

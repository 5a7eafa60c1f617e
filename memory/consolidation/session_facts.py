"""A session's facts: slot facts from the user's words, then facts from the configured source.

The newest statement of a slot supersedes the fact that held it; a fact in the user's own words
(own_words.py) carries the slots its sentence set, so it is superseded with them; a model fact
that contradicts the held value is dropped; duplicates strengthen what is there. The consolidator
decides when; this decides what.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from memory.consolidation.facts import is_duplicate, supersedes
from memory.consolidation.hierarchy import Commit, Derived, HierarchyStore, Session
from memory.consolidation.own_words import own_word_facts
from memory.consolidation.slot_facts import (
    contradicts,
    derive_key,
    plan_slots,
    stale,
    words_key,
)
from memory.consolidation.slots import SlotValue
from memory.errors import StepFailed
from memory.records import Kind
from models.protocols import Embedder

log = logging.getLogger(__name__)


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def add_some(self, key: str, n: int) -> None:
        """Counted only when it happened (a zero would crowd the report)."""
        if n:
            self.add(key, n)

    def fail(self, error: StepFailed) -> None:
        log.info("consolidation step skipped: %s", error)
        self.failures.append(str(error))
        self.add("failed_steps")


@dataclass(frozen=True)
class PlannedFact:
    text: str
    key: str
    sources: tuple[str, ...]
    values: tuple[SlotValue, ...] | None = None  # a statement's slot values; None: the model's


class SessionFacts:
    """Plans one session's facts into a commit."""

    def __init__(
        self,
        hierarchy: HierarchyStore,
        embedder: Embedder,
        strength: float,
        duplicate_similarity: float,
    ) -> None:
        self.hierarchy = hierarchy
        self.embedder = embedder
        self.strength = strength
        self.duplicate_similarity = duplicate_similarity

    def words(
        self, session: Session, new_texts: list[str], sources: tuple[str, ...]
    ) -> list[PlannedFact]:
        """Each statement of the session in the third person, with its own turn as source and
        its relative days pinned to the session's day."""
        said = datetime.fromisoformat(session.day)
        ids: list[int | str] = list(session.note_ids or session.message_ids)
        by_message = (
            {} if session.note_ids else self.hierarchy.turns_by_message(session.message_ids)
        )
        texts = dict(zip(ids, session.texts, strict=True))
        out: list[PlannedFact] = []
        for i, text in texts.items():
            if text not in new_texts:
                continue
            turn = (i,) if isinstance(i, str) else tuple(by_message.get(i, ())) or sources
            for fact, values in own_word_facts(text, said):
                key = words_key(values, session.fact_key_stem, len(out))
                out.append(PlannedFact(fact, key, turn, tuple(values)))
        return out

    def fact(self, session: Session, sources: tuple[str, ...], text: str, key: str) -> Derived:
        return Derived(
            Kind.FACT,
            text,
            key,
            session.last_at,
            self.strength,
            sources,
            session.message_ids,
            session.conversation_id or None,
            space=session.space,
        )

    def plan_slots(
        self,
        values: list[SlotValue],
        session: Session,
        sources: tuple[str, ...],
        commit: Commit,
        report: Report,
    ) -> dict[str, set[str]]:
        """The slot facts of the session's statements: the newest value of a slot supersedes
        the fact that held it, whatever the model extracted. Returns what each slot holds now."""
        existing = [
            m
            for m in self.hierarchy.of_kind(Kind.FACT)
            if (m.space == session.space or m.shared) and m.event_time <= session.last_at
        ]
        plan = plan_slots(
            values,
            existing,
            lambda v, n: self.fact(
                session, sources, v.text, derive_key(v, session.fact_key_stem, n)
            ),
        )
        commit.items.extend(plan.items)
        commit.supersede.extend(plan.supersede)
        commit.strengthen.extend(plan.strengthen)
        report.add_some("slot_facts", len(plan.items))
        report.add_some("facts_superseded", len(plan.supersede))
        report.add_some("facts_merged", len(plan.strengthen))
        return plan.held

    def plan_facts(
        self,
        facts: list[PlannedFact],
        session: Session,
        commit: Commit,
        report: Report,
        held: dict[str, set[str]],
    ) -> None:
        # A model fact that gives a slot another value than the user's newest statement says
        # is not stored: the statement is exact, the model's reading of it is not. A statement
        # whose slot a later one in the session replaced is history already.
        kept = [
            f
            for f in facts
            if not (stale(f.values, held) if f.values is not None else contradicts(f.text, held))
        ]
        report.add_some("facts_contradicting_dropped", len(facts) - len(kept))
        facts = kept
        # Facts are deduplicated and superseded within their own space only; the slot facts
        # planned for this session count as existing.
        stored = [
            m for m in self.hierarchy.of_kind(Kind.FACT) if m.space == session.space or m.shared
        ]
        superseded = {old for old, _ in commit.supersede}
        existing = [m for m in stored if m.id not in superseded]
        vectors = self.embedder.embed([f.text for f in facts] + [m.text for m in existing])
        new_vectors, old_vectors = vectors[: len(facts)], vectors[len(facts) :]
        planned: list[Derived] = []
        for i, fact in enumerate(facts):
            similar = old_vectors @ new_vectors[i] if len(existing) else np.zeros(0)
            duplicate = next(
                (
                    m
                    for j, m in enumerate(existing)
                    if is_duplicate(fact.text, m.text) or similar[j] >= self.duplicate_similarity
                ),
                None,
            )
            if duplicate is not None and duplicate.id in commit.strengthen:
                continue  # a slot fact of this session confirmed it already
            if duplicate is not None:
                commit.strengthen.append(duplicate.id)
                report.add("facts_merged")
                continue
            same_session = [p for p in commit.items + planned if p.kind == Kind.FACT]
            if any(is_duplicate(fact.text, p.text) for p in same_session):
                continue
            item = self.fact(session, fact.sources, fact.text, fact.key)
            planned.append(item)
            if fact.values is not None:
                continue  # a statement is history: only a newer statement's slot replaces it
            for old in existing:
                slot_fact = (old.derive_key or "").startswith(("slot:", "words:"))
                if (
                    not slot_fact  # only a statement replaces a statement's slot
                    and old.event_time <= session.last_at
                    and supersedes(fact.text, old.text)
                ):
                    commit.supersede.append((old.id, item.id))
                    report.add("facts_superseded")
        commit.items.extend(planned)
        report.add_some("facts_added", len(planned))

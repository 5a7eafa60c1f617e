"""Reflection: a few higher-level insights about the user, from recent facts and summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from memory.bank import MemoryBank
from memory.consolidation.grounding import supporting, unsupported_words
from memory.consolidation.hierarchy import Commit, Derived, HierarchyStore
from memory.consolidation.session_facts import Report
from memory.consolidation.steps import reflect
from memory.errors import StepFailed
from memory.records import PERSONAL, Kind
from models.protocols import LLM


@dataclass(frozen=True)
class ReflectionSettings:
    window: timedelta = timedelta(days=7)
    min_sources: int = 3
    max_sources: int = 12
    strength: float = 3.0


class Reflector:
    def __init__(
        self, bank: MemoryBank, llm: LLM, settings: ReflectionSettings | None = None
    ) -> None:
        self.bank = bank
        self.llm = llm
        self.settings = settings or ReflectionSettings()
        self.hierarchy = HierarchyStore(bank.store)

    def run(self, now: datetime) -> Report:
        """One set of insights per ISO week, refreshed when new facts or summaries arrive."""
        report = Report()
        since = now - self.settings.window
        recent = [
            m
            for kind in (Kind.FACT, Kind.DAILY_SUMMARY)
            for m in self.hierarchy.of_kind(kind)
            # Insights are about the personal space (and what is shared with it) only.
            if m.event_time >= since and (m.space == PERSONAL or m.shared)
        ][-self.settings.max_sources :]
        if len(recent) < self.settings.min_sources:
            report.add("skipped_too_few_memories")
            return report
        year, week, _ = now.isocalendar()
        prefix = f"reflection:{year}-W{week:02d}:"
        existing = self.hierarchy.by_key_prefix(prefix)
        covered = {s for m in existing for s in self.hierarchy.sources(m.id)}
        if {m.id for m in recent} <= covered:
            return report  # nothing new since this week's reflection
        texts = [m.text for m in recent]
        try:
            insights = [i for i in reflect(self.llm, texts) if _supported(i, texts)]
            if not insights:
                raise StepFailed(
                    "reflection", "no insight was supported by two memories word for word"
                )
        except StepFailed as exc:
            report.fail(exc)
            return report
        sources = tuple(m.id for m in recent)
        commit = Commit(
            items=[
                Derived(Kind.REFLECTION, text, f"{prefix}{i}", now, self.settings.strength, sources)
                for i, text in enumerate(insights)
            ]
        )
        self.hierarchy.commit(now, commit)
        self.bank.index_pending()
        report.add("reflections", len(insights))
        return report


def _supported(insight: str, sources: list[str]) -> bool:
    """Stored only when two or more source memories support it and every content word it uses
    is said by one of them: the check that the whole-source 70% let "doctor" through."""
    return len(supporting(insight, sources)) >= 2 and not unsupported_words(insight, sources)

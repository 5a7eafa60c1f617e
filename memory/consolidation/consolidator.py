"""Consolidation: turns become session and daily summaries, facts, persona and a global summary.

Each step reads its inputs, asks the model, validates, and writes its results in one transaction
keyed by a derive key, so a second run adds nothing and a crash mid-run loses nothing: the next
run redoes only the steps whose results did not commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from memory.bank import MemoryBank
from memory.consolidation.checks import covers, statements_only
from memory.consolidation.hierarchy import Commit, Derived, HierarchyStore, Session, in_space
from memory.consolidation.overview import highlights
from memory.consolidation.own_words import others_once, own_word_facts
from memory.consolidation.persona import (
    day_persona,
    drop_stale,
    global_persona,
    stale_words,
    user_statements,
)
from memory.consolidation.profile import current
from memory.consolidation.session_facts import PlannedFact, Report, SessionFacts
from memory.consolidation.slots import slot_values
from memory.consolidation.steps import (
    extract_facts,
    extract_facts_constrained,
    summarise_day,
    summarise_session,
    update_global_summary,
)
from memory.errors import JobStopped, StepFailed
from memory.records import PERSONAL, Kind, Memory
from models.protocols import LLM

log = logging.getLogger(__name__)
FactSource = Literal["words", "model", "grammar", "none"]
SummarySource = Literal["words", "model"]
WORDS_SUMMARY_CHARS = 600  # ROUGE-L against LoCoMo's gold levels off here (400: 0.198, 600: 0.212)
FACT_SOURCES: tuple[FactSource, ...] = ("words", "model", "grammar", "none")


@dataclass(frozen=True)
class ConsolidationSettings:
    idle: timedelta = timedelta(minutes=30)
    duplicate_similarity: float = 0.93
    # Where facts come from, beside the slot facts of the user's words: "words" (each statement
    # in the third person, no model), "model" (the chat model's few-shot list), "grammar" (the
    # same, constrained by a GBNF grammar) or "none". `bench consolidation --facts` measures them.
    facts: FactSource = "words"
    # Who writes the session, daily and global summaries: "words" (the session's statements in
    # the third person, no model) or "model". The 135M model's session summaries score below
    # the speakers' own words on LoCoMo (docs/benchmarks.md); a larger model may not.
    summaries: SummarySource = "model"


def _offset_minutes(now: datetime) -> int:
    offset = now.utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def extractive_summary(texts: list[str], limit: int = 400) -> str:
    """The fallback summary when the model's is unusable: the user's own words, trimmed."""
    joined = " / ".join(" ".join(t.split()) for t in texts)
    return "The user said: " + (joined if len(joined) <= limit else joined[: limit - 1] + "…")


def words_summary(texts: list[str], said: datetime) -> str:
    """A session in its speakers' words: each statement in the third person, up to
    WORDS_SUMMARY_CHARS; the plain extractive summary when nothing was stated."""
    out: list[str] = []
    size = 0
    for text in texts:
        for fact, _ in own_word_facts(statements_only(text), said):
            if size + len(fact) > WORDS_SUMMARY_CHARS:
                return others_once(" ".join(out)) or extractive_summary(texts)
            out.append(fact)
            size += len(fact) + 1
    return others_once(" ".join(out)) or extractive_summary(texts)


class Consolidator:
    def __init__(
        self,
        bank: MemoryBank,
        llm: LLM,
        settings: ConsolidationSettings | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.bank = bank
        self.llm = llm
        self.settings = settings or ConsolidationSettings()
        self.hierarchy = HierarchyStore(bank.store)
        # Asked between two steps (each commits on its own): a long catch-up over an imported
        # history must not hold up quitting.
        self.should_stop = should_stop

    def _stop_point(self) -> None:
        if self.should_stop():
            self.bank.index_pending()  # what committed is in recall too, not only in SQLite
            raise JobStopped()

    def run(self, now: datetime, *, include_active: bool = False) -> Report:
        """Consolidate idle sessions (all of them with `include_active`), then days, then global.

        Today's daily summary is written too and updated in place as the day goes on.
        """
        report = Report()
        for n, session in enumerate(self._pending_sessions(now, include_active), 1):
            self._stop_point()
            self._consolidate_session(session, now, report)
            if n % 25 == 0:  # a long catch-up: index as it goes, so a stop has little left
                self.bank.index_pending()
        touched_days = self._consolidate_days(now, report)
        if touched_days or not self.hierarchy.by_key("global_summary"):
            self._update_global(now, report)
        self._update_persona(now, report)
        self.bank.index_pending()  # what was just written (a full reconcile lists every id)
        return report

    def _strength(self, kind: Kind) -> float:
        return self.bank.decay.initial(kind, "")

    # --- sessions --------------------------------------------------------------------------

    def _pending_sessions(self, now: datetime, include_active: bool) -> list[Session]:
        done = {m.derive_key: m for m in self.hierarchy.by_key_prefix("session_summary:")}
        pending = []
        for session in self.hierarchy.sessions(_offset_minutes(now), unconsolidated=True):
            if not include_active and session.last_at > now - self.settings.idle:
                continue  # still going on
            have = done.get(session.key)
            if have is None:
                pending.append(session)
            elif session.note_ids:
                if not set(session.note_ids) <= set(self.hierarchy.sources(have.id)):
                    pending.append(session)
            elif not set(session.message_ids) <= set(have.source_message_ids):
                pending.append(session)
        return pending

    def _consolidate_session(self, session: Session, now: datetime, report: Report) -> None:
        previous = self.hierarchy.by_key(session.key)
        if session.note_ids:
            done = set(self.hierarchy.sources(previous.id)) if previous else set()
            new_texts = [
                t for i, t in zip(session.note_ids, session.texts, strict=True) if i not in done
            ]
        else:
            covered = set(previous.source_message_ids) if previous else set()
            new_texts = [
                t
                for i, t in zip(session.message_ids, session.texts, strict=True)
                if i not in covered
            ]
        try:
            # A request is not summarised to the model (it answers it instead: "Here's a Python
            # code block"); the extractive fallback below still keeps every word said.
            said = [s for s in (statements_only(t) for t in session.texts) if s]
            if self.settings.summaries == "words":
                summary = words_summary(list(session.texts), datetime.fromisoformat(session.day))
            else:
                summary = summarise_session(self.llm, said or list(session.texts))
        except StepFailed as exc:
            report.fail(exc)
            summary = extractive_summary(list(session.texts))
        sources = tuple(
            dict.fromkeys(
                [*self.hierarchy.turn_ids_for_messages(session.message_ids), *session.note_ids]
            )
        )
        commit = Commit()
        commit.items.append(
            Derived(
                Kind.SESSION_SUMMARY,
                summary,
                session.key,
                session.last_at,
                self._strength(Kind.SESSION_SUMMARY),
                sources,
                session.message_ids,
                session.conversation_id or None,
                space=session.space,
            )
        )
        # Questions and requests state nothing about the user ("Show me a code block" once
        # became "The user shows a code block"), so facts come from statements only.
        statements = [s for s in (statements_only(t) for t in new_texts) if s]
        source = self.settings.facts
        try:
            if statements and source == "model":
                facts = extract_facts(self.llm, statements)
            elif statements and source == "grammar":
                facts = extract_facts_constrained(self.llm, statements)
            else:
                facts = []
        except StepFailed as exc:
            report.fail(exc)
            facts = []
        planner = SessionFacts(
            self.hierarchy,
            self.bank.embedder,
            self._strength(Kind.FACT),
            self.settings.duplicate_similarity,
        )
        values = current(v for t in new_texts for v in slot_values(t))
        held = planner.plan_slots(values, session, sources, commit, report)
        planned = [
            PlannedFact(f, f"fact:{session.fact_key_stem}:{i}", sources)
            for i, f in enumerate(facts)
        ]
        if source == "words":
            planned = planner.words(session, new_texts, sources)
        planner.plan_facts(planned, session, commit, report, held)
        self.hierarchy.commit(now, commit, self.bank.decay)
        report.add("session_summaries")

    # --- days and global -------------------------------------------------------------------

    def _consolidate_days(self, now: datetime, report: Report) -> list[str]:
        # One day per space: a work conversation never shapes the personal daily summary.
        by_day: dict[tuple[str, str], list[Memory]] = {}
        for m in self.hierarchy.by_key_prefix("session_summary:"):
            by_day.setdefault((m.space, (m.derive_key or "").rsplit(":", 1)[-1]), []).append(m)
        touched = []
        for (space, day), summaries in sorted(by_day.items(), key=lambda kv: kv[0][::-1]):
            self._stop_point()
            key = f"{in_space('daily_summary', space)}:{day}"
            daily = self.hierarchy.by_key(key)
            # A day's notes count among its sources, so a note added later makes the day new.
            ids = {m.id for m in summaries} | {
                i
                for m in summaries
                if (m.derive_key or "").startswith("session_summary:notes")
                for i in self.hierarchy.sources(m.id)
            }
            message_ids = tuple(i for m in summaries for i in m.source_message_ids)
            # A session summary updated in place keeps its id: its new messages make the day new.
            if (
                daily
                and ids <= set(self.hierarchy.sources(daily.id))
                and set(message_ids) <= set(daily.source_message_ids)
            ):
                continue
            texts = [m.text for m in summaries]
            try:
                one = len(texts) == 1 or self.settings.summaries == "words"
                text = " ".join(texts) if one else summarise_day(self.llm, texts)
                if not covers(text, texts):  # one session of three is not the day
                    text = " ".join(texts)
            except StepFailed as exc:
                report.fail(exc)
                text = " ".join(texts)
            when = max(m.event_time for m in summaries)
            commit = Commit(
                items=[
                    Derived(
                        Kind.DAILY_SUMMARY,
                        text,
                        key,
                        when,
                        self._strength(Kind.DAILY_SUMMARY),
                        tuple(ids),
                        message_ids,
                        space=space,
                    )
                ]
            )
            turns = self.bank.store.memories_by_ids(
                self.hierarchy.turn_ids_for_messages(message_ids)
                + [i for m in summaries for i in self.hierarchy.sources(m.id)]
            )
            in_order = sorted(turns.values(), key=lambda t: t.source_message_ids)
            persona = day_persona(self.llm, [t.text for t in in_order])
            if persona.failure is not None:
                report.fail(persona.failure)
            if persona.text:  # prose where the model wrote it grounded, over the day's profile
                commit.items.append(
                    Derived(
                        Kind.DAILY_PERSONA,
                        persona.text,
                        f"{in_space('daily_persona', space)}:{day}",
                        when,
                        self._strength(Kind.DAILY_PERSONA),
                        tuple(turns),
                        message_ids,
                        space=space,
                    )
                )
                report.add("daily_personas")
            self.hierarchy.commit(now, commit, self.bank.decay)
            report.add("daily_summaries")
            touched.append(day)
        return touched

    def _update_global(self, now: datetime, report: Report) -> None:
        spaces = sorted({m.space for m in self.hierarchy.of_kind(Kind.DAILY_SUMMARY)})
        for space in spaces:
            self._update_global_of(space, now, report)

    def _update_global_of(self, space: str, now: datetime, report: Report) -> None:
        """The overall summary of one space, from that space's days only (the persona has its
        own step, `_update_persona`)."""
        for kind, base, step in ((Kind.DAILY_SUMMARY, "global_summary", update_global_summary),):
            key = in_space(base, space)
            dailies = [d for d in self.hierarchy.of_kind(kind) if d.space == space]
            current = self.hierarchy.by_key(key)
            included = set(self.hierarchy.sources(current.id)) if current else set()
            covered = set(current.source_message_ids) if current else set()
            # A daily item updated in place (same id) is new again when it covers new messages.
            new = [
                d
                for d in dailies
                if d.id not in included or not set(d.source_message_ids) <= covered
            ]
            if not new or (current is not None and current.locked):
                continue
            previous = current.text if current else ""
            days = [d.text for d in new]
            try:
                if self.settings.summaries == "words":  # each day's most specific sentences
                    text = highlights(previous, days)
                else:
                    text = step(self.llm, previous, days)
                if not covers(text, days):  # it kept one thing of four
                    text = highlights(previous, days)
            except StepFailed as exc:
                # The days' own (already checked) sentences, not nothing and not the model's.
                report.fail(exc)
                text = highlights(previous, days)
            # What the user has since changed (a home, a job) is not kept as current.
            stale = stale_words([m.text for m in user_statements(self.hierarchy, space)])
            text = drop_stale(text, stale) or drop_stale(" ".join(d.text for d in new), stale)
            if not text:
                continue
            sources = tuple(included | {d.id for d in new})
            message_ids = tuple(sorted(covered.union(*(d.source_message_ids for d in new))))
            when = max(d.event_time for d in new)
            target = Kind.GLOBAL_SUMMARY if base == "global_summary" else Kind.GLOBAL_PERSONA
            item = Derived(
                target, text, key, when, self._strength(target), sources, message_ids, space=space
            )
            self.hierarchy.commit(now, Commit(items=[item]), self.bank.decay)
            report.add(base)

    def _update_persona(self, now: datetime, report: Report) -> None:
        """Each space's global persona, refreshed when a day's persona is new or the profile
        changed; a space's persona is built from that space's days, statements and facts."""
        kinds = (Kind.DAILY_PERSONA, Kind.FACT, Kind.TURN, Kind.NOTE)
        spaces = {m.space for kind in kinds for m in self.hierarchy.of_kind(kind)}
        for space in sorted({PERSONAL} | spaces):
            self._update_persona_of(space, now, report)

    def _update_persona_of(self, space: str, now: datetime, report: Report) -> None:
        key = in_space("global_persona", space)
        current = self.hierarchy.by_key(key)
        if current is not None and current.locked:
            return
        dailies = [d for d in self.hierarchy.of_kind(Kind.DAILY_PERSONA) if d.space == space]
        included = set(self.hierarchy.sources(current.id)) if current else set()
        covered = set(current.source_message_ids) if current else set()
        new = [
            d for d in dailies if d.id not in included or not set(d.source_message_ids) <= covered
        ]
        previous = current.text if current else ""
        persona = global_persona(self.llm, self.hierarchy, previous, new, space=space)
        if persona.failure is not None:
            report.fail(persona.failure)
        if not persona.text or (current is not None and current.text == persona.text and not new):
            return
        facts = [f for f in self.hierarchy.of_kind(Kind.FACT) if f.space == space]
        sources = tuple(included | {d.id for d in dailies} | {f.id for f in facts})
        message_ids = tuple(sorted(covered.union(*(d.source_message_ids for d in dailies))))
        times = [d.event_time for d in dailies] + ([current.event_time] if current else [])
        when = max(times) if times else now
        item = Derived(
            Kind.GLOBAL_PERSONA,
            persona.text,
            key,
            when,
            self._strength(Kind.GLOBAL_PERSONA),
            sources,
            message_ids,
            space=space,
        )
        self.hierarchy.commit(now, Commit(items=[item]), self.bank.decay)
        report.add("global_persona")

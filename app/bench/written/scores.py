"""`bench consolidation`: what the daily job writes, scored against LoCoMo's gold.

Each conversation is lived in time (app.bench.realtime: every session stored on its own date,
the real daily job replayed with the configured chat model between sessions); then what the
store holds is scored:

- fact_recall: the share of gold observations that a stored fact about the same person states;
- fact_precision: the share of stored facts that a gold observation or their source turns
  support (fact_precision_gold: by a gold observation alone);
- summary_rouge_l / summary_rouge_1: session summaries against the gold ones (rouge-score,
  F-measure, stemmed), beside the extractive fallback (the speakers' own words) on the same
  sessions;
- loops: stored texts in which a phrase of 3+ words repeats 3+ times;
- contradictions: single-valued slots (a person's home, job, partner, pet's name) holding two
  current values;
- answers_held_by_prompt / _memory: the share of gold answers (questions of categories 1-4)
  that the global persona and summary (what goes into every prompt) / any consolidated memory
  hold word for word. MemoryBank's daily chats (app/transfer/memorybank.py, with its probes)
  are scored on this alone: they have no observations or gold summaries.

LoCoMo is a chat between two friends, both imported as the user: a fact belongs to the person
it names (a slot fact carries its speaker; "Caroline ..." names her), and a "The user ..." fact
to the speaker whose turn among its sources supports it best. Two people's homes are two slots.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.bench.answers import load_conversations
from app.bench.realtime import live
from app.bench.recall import app_recall_settings, bench_settings, torch_threads
from app.transfer.locomo import BenchConversation
from memory.consolidation.checks import looping
from memory.consolidation.consolidator import FactSource, SummarySource, extractive_summary
from memory.consolidation.grounding import content_words, stem, support
from memory.consolidation.hierarchy import HierarchyStore
from memory.consolidation.own_words import unpinned
from memory.consolidation.slot_facts import held_by, holds
from memory.recall.retrieval import HybridRetriever
from memory.records import Kind, Memory
from models.protocols import LLM, Embedder

Progress = Callable[[str], None]
DERIVED = (
    Kind.FACT,
    Kind.SESSION_SUMMARY,
    Kind.DAILY_SUMMARY,
    Kind.GLOBAL_SUMMARY,
    Kind.DAILY_PERSONA,
    Kind.GLOBAL_PERSONA,
    Kind.REFLECTION,
)
MATCH_COSINE = 0.62  # calibrated on hand-checked pairs (docs/benchmarks.md)
MATCH_OVERLAP = 2


@dataclass(frozen=True)
class Observation:
    speaker: str
    text: str
    session: int


@dataclass(frozen=True)
class StoredFact:
    subject: str  # the speaker it is about ("" when no speaker's turn supports it)
    text: str
    sources: tuple[str, ...]  # the source turns' texts


@dataclass
class Written:
    facts: list[StoredFact] = field(default_factory=list)
    summaries: dict[int, str] = field(default_factory=dict)  # session number -> summary
    texts: list[str] = field(default_factory=list)  # every derived text
    contradictions: int = 0
    prompt: str = ""  # what goes into every prompt: the global persona and global summary


def observations(raw: dict[str, Any]) -> list[Observation]:
    out = []
    for key, by_speaker in (raw.get("observation") or {}).items():
        session = int(key.split("_")[1])
        for speaker, items in by_speaker.items():
            out += [Observation(speaker, str(item[0]), session) for item in items if item]
    return out


def gold_summaries(raw: dict[str, Any]) -> dict[int, str]:
    return {
        int(k.split("_")[1]): str(v) for k, v in (raw.get("session_summary") or {}).items() if v
    }


def speaker_of(text: str) -> str:
    head, sep, _ = text.partition(": ")
    return head if sep and len(head) <= 30 else ""


def collect(store: Any, speakers: Sequence[str]) -> Written:
    """What consolidation left in `store` (a lived conversation's)."""
    hierarchy = HierarchyStore(store)
    written = Written()
    facts = hierarchy.of_kind(Kind.FACT, active_only=False)
    for fact in facts:
        source_ids = hierarchy.sources(fact.id)
        sources = tuple(m.text for m in store.memories_by_ids(source_ids).values())
        written.facts.append(StoredFact(_subject(fact, sources, speakers), fact.text, sources))
    conversations = sorted({m.conversation_id or 0 for m in hierarchy.of_kind(Kind.TURN)})
    session_of = {cid: n for n, cid in enumerate(conversations, 1)}
    for m in hierarchy.of_kind(Kind.SESSION_SUMMARY, active_only=False):
        n = session_of.get(m.conversation_id or 0)
        if n is not None:
            written.summaries[n] = (written.summaries.get(n, "") + " " + m.text).strip()
    written.texts = [m.text for kind in DERIVED for m in hierarchy.of_kind(kind)]
    written.prompt = " ".join(
        m.text
        for kind in (Kind.GLOBAL_PERSONA, Kind.GLOBAL_SUMMARY)
        for m in hierarchy.of_kind(kind)
    )
    written.contradictions = contradictions(hierarchy.of_kind(Kind.FACT))
    return written


def _subject(fact: Memory, sources: Sequence[str], speakers: Sequence[str]) -> str:
    held = held_by(fact)
    if held is not None and held.slot_id.split("|", 1)[0]:
        return held.slot_id.split("|", 1)[0]
    named = [s for s in speakers if s.lower() in fact.text.lower()]
    if len(named) == 1:
        return named[0]
    best = max(sources, key=lambda s: support(fact.text, s), default="")
    return speaker_of(best)


def contradictions(active_facts: Sequence[Memory]) -> int:
    """Single-valued slots holding two current values."""
    values: dict[str, set[str]] = {}
    for m in active_facts:
        for held in holds(m):
            if held.single:
                values.setdefault(held.slot_id, set()).add(held.key)
    return sum(len(v) > 1 for v in values.values())


class Matcher:
    """Does a stored fact state a gold observation? Both are embedded with the bench's MiniLM;
    a match needs cosine >= MATCH_COSINE and MATCH_OVERLAP content words in common (by stem),
    the person's name and "the user" left out."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def scores(
        self, facts: Sequence[str], obs: Sequence[Observation]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(cosine, words in common) of every fact against every observation."""
        if not facts or not obs:
            empty = np.zeros((len(facts), len(obs)))
            return empty, empty
        cos = self.embedder.embed(list(facts)) @ self.embedder.embed([o.text for o in obs]).T
        common = np.array(
            [[len(_stems(f) & (_stems(o.text) - _stems(o.speaker))) for o in obs] for f in facts]
        )
        return cos, common

    @staticmethod
    def matches(cos: np.ndarray, common: np.ndarray) -> np.ndarray:
        return (cos >= MATCH_COSINE) & (common >= MATCH_OVERLAP)


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


@dataclass
class Scores:
    observations: int = 0
    observations_stated: int = 0
    facts: int = 0
    facts_supported: int = 0
    facts_gold: int = 0
    rouge_l: list[float] = field(default_factory=list)
    rouge_1: list[float] = field(default_factory=list)
    base_l: list[float] = field(default_factory=list)
    base_1: list[float] = field(default_factory=list)
    loops: int = 0
    texts: int = 0
    contradictions: int = 0
    asked: int = 0  # questions with a gold answer (categories 1-4)
    held_prompt: int = 0  # ... whose answer the global persona and summary hold
    held_memory: int = 0  # ... whose answer some consolidated memory holds

    def add(self, other: Scores) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_json(self) -> dict[str, Any]:
        def mean(xs: list[float]) -> float | None:
            return round(float(np.mean(xs)), 3) if xs else None

        def share(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        return {
            "fact_recall": share(self.observations_stated, self.observations),
            "fact_precision": share(self.facts_supported, self.facts),
            "fact_precision_gold": share(self.facts_gold, self.facts),
            "summary_rouge_l": mean(self.rouge_l),
            "summary_rouge_1": mean(self.rouge_1),
            "extractive_rouge_l": mean(self.base_l),
            "extractive_rouge_1": mean(self.base_1),
            "loops": self.loops,
            "contradictions": self.contradictions,
            "answers_held_by_prompt": share(self.held_prompt, self.asked),
            "answers_held_by_memory": share(self.held_memory, self.asked),
            "questions": self.asked,
            "observations": self.observations,
            "facts": self.facts,
            "texts": self.texts,
            "sessions_scored": len(self.rouge_l),
        }


def score(
    conv: BenchConversation,
    raw: dict[str, Any],
    written: Written,
    matcher: Matcher,
    rouge: Any,
    examples: list[dict[str, Any]],
) -> Scores:
    s = Scores(loops=sum(looping(t) for t in written.texts), texts=len(written.texts))
    s.contradictions = written.contradictions
    gold = observations(raw)
    s.observations, s.facts = len(gold), len(written.facts)
    cos, common = matcher.scores([f.text for f in written.facts], gold)
    same = np.array(
        [[f.subject == o.speaker for o in gold] for f in written.facts], dtype=bool
    ).reshape(cos.shape)
    match = Matcher.matches(cos, common) & same
    s.observations_stated = int(match.any(axis=0).sum()) if gold else 0
    for i, fact in enumerate(written.facts):
        by_gold = bool(gold) and bool(match[i].any())
        by_turns = any(support(_bare(fact), t) >= 0.75 for t in fact.sources)
        s.facts_gold += by_gold
        s.facts_supported += by_gold or by_turns
        # The nearest observation of the same person, matched or not: the pairs a reader checks.
        near = np.where(same[i], cos[i], -1.0) if gold else np.zeros(0)
        j = int(np.argmax(near)) if near.size and near.max() > -1 else None
        examples.append(
            {
                "conversation": conv.name,
                "fact": fact.text,
                "subject": fact.subject,
                "nearest_observation": gold[j].text if j is not None else None,
                "cosine": round(float(cos[i, j]), 3) if j is not None else None,
                "words_in_common": int(common[i, j]) if j is not None else None,
                "matched": bool(match[i].any()),
                "supported_by": "gold" if by_gold else "turns" if by_turns else None,
            }
        )
    held_answers(conv, written, s)
    golds = gold_summaries(raw)
    turns_by_session: dict[int, list[str]] = {}
    for dia, turn in conv.turns if golds else []:
        turns_by_session.setdefault(int(dia.split(":")[0][1:]), []).append(
            f"{turn.speaker}: {turn.text}"
        )
    for n, reference in golds.items():
        mine = written.summaries.get(n)
        if mine is None or n not in turns_by_session:
            continue
        ours, base = (
            rouge.score(reference, mine),
            rouge.score(reference, extractive_summary(turns_by_session[n])),
        )
        s.rouge_l.append(ours["rougeL"].fmeasure)
        s.rouge_1.append(ours["rouge1"].fmeasure)
        s.base_l.append(base["rougeL"].fmeasure)
        s.base_1.append(base["rouge1"].fmeasure)
    return s


def _plain(text: str) -> str:
    return " " + " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split()) + " "


def held_answers(conv: BenchConversation, written: Written, s: Scores) -> None:
    """Which gold answers (categories 1-4) the consolidated memory holds word for word: in what
    goes into every prompt (global persona and summary), and anywhere derived."""
    prompt, memory = _plain(written.prompt), _plain(" ".join(written.texts))
    for q in conv.questions:
        answer = _plain(str(q.answer)).strip()
        if q.category not in (1, 2, 3, 4) or not answer:
            continue
        s.asked += 1
        s.held_prompt += f" {answer} " in prompt
        s.held_memory += f" {answer} " in memory


def _bare(fact: StoredFact) -> str:
    """The fact without its subject, and without the dates and "and others" that putting a
    statement in the third person adds, for the word-support test against a turn."""
    return unpinned(fact.text.replace("The user", "").replace(fact.subject, ""))


@dataclass
class ConsolidationReport:
    overall: Scores
    by_conversation: dict[str, Scores]
    notes: list[str]
    examples: list[dict[str, Any]]
    facts: str
    model: str
    summaries: str = "model"

    def as_json(self) -> dict[str, Any]:
        return {
            "how": "realtime: each session stored on its own date, the daily job replayed",
            "model": self.model,
            "facts": self.facts,
            "summaries": self.summaries,
            "overall": self.overall.as_json(),
            "by_conversation": {k: v.as_json() for k, v in self.by_conversation.items()},
            "notes": self.notes,
            "examples": self.examples,
        }

    def markdown(self) -> str:
        def f(v: Any) -> str:
            return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

        facts = {
            "words": "facts in the speakers' own words and slot facts",
            "model": "the model's facts and slot facts",
            "grammar": "the model's facts under a grammar and slot facts",
        }.get(self.facts, "slot facts only")
        facts += (
            "; summaries in the speakers' own words"
            if self.summaries == "words"
            else "; summaries by the model"
        )
        lines = [
            f"Realtime (each session stored on its own date, the daily job replayed with "
            f"`{self.model}`; {facts}), {len(self.by_conversation)} conversation(s).",
            "",
            "| conversation | fact recall | fact precision (gold only) | ROUGE-L (extractive) "
            "| ROUGE-1 (extractive) | loops | contradictions | facts / observations "
            "| answers held: prompt / memory (questions) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, s in [*self.by_conversation.items(), ("all", self.overall)]:
            j = s.as_json()
            lines.append(
                f"| {name} | {f(j['fact_recall'])} | {f(j['fact_precision'])} "
                f"({f(j['fact_precision_gold'])}) | {f(j['summary_rouge_l'])} "
                f"({f(j['extractive_rouge_l'])}) | {f(j['summary_rouge_1'])} "
                f"({f(j['extractive_rouge_1'])}) | {j['loops']}/{j['texts']} | "
                f"{j['contradictions']} | {j['facts']} / {j['observations']} | "
                f"{f(j['answers_held_by_prompt'])} / {f(j['answers_held_by_memory'])} "
                f"({j['questions']}) |"
            )
        lines += [f"\n{n}" for n in self.notes]
        return "\n".join(lines)


def run_consolidation(
    path: Path,
    *,
    embedder: Embedder,
    llm: LLM,
    limit_conversations: int | None = None,
    facts: FactSource = "words",
    summaries: SummarySource = "model",
    progress: Progress = lambda _: None,
) -> ConsolidationReport:
    from rouge_score import rouge_scorer  # bench only (a dev dependency)

    rouge = rouge_scorer.RougeScorer(["rouge1", "rougeL"], use_stemmer=True)
    data = json.loads(path.read_text(encoding="utf-8"))
    conversations = load_conversations(path)[:limit_conversations]
    # MemoryBank's daily chats have probes with answers, but no observations or summaries.
    raws: list[dict[str, Any]] = data if isinstance(data, list) else [{} for _ in conversations]
    matcher = Matcher(embedder)
    overall, by_conv = Scores(), {}
    notes: list[str] = []
    examples: list[dict[str, Any]] = []
    settings = bench_settings(app_recall_settings())["full"]
    for conv, raw in zip(conversations, raws, strict=False):
        if not raw.get("observation"):
            notes.append(f"{conv.name}: the file has no observations; fact recall not scored.")
        speakers = sorted({t.speaker for _, t in conv.turns})
        holder: list[Written] = []

        def ask(
            retriever: HybridRetriever,
            _by_dia: dict[str, str],
            _when: datetime,
            holder: list[Written] = holder,
            speakers: list[str] = speakers,
        ) -> None:
            holder.append(collect(retriever.store, speakers))

        with torch_threads(1):
            live(conv, embedder, settings, ask, llm=llm, facts=facts, summaries=summaries)
        scores = score(conv, raw, holder[0], matcher, rouge, examples)
        by_conv[conv.name] = scores
        overall.add(scores)
        progress(f"{conv.name}: {json.dumps(scores.as_json())}")
    return ConsolidationReport(overall, by_conv, notes, examples, facts, llm.model_id, summaries)

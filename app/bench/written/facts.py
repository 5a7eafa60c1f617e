"""`bench consolidation --compare-facts`: where facts should come from, decided by the gold.

Each session's statements go to every fact source the consolidator has, exactly as the daily
job hands them over at the session's end (the statements of the session, labelled with their
speaker, relative days pinned to the session's date); what each source returns is scored against
LoCoMo's gold observations with the same matcher as the full bench. No summaries, persona or
supersession run here, so this takes minutes where the lived bench takes an hour: it answers
one question, which source to use, and `consolidation.facts` in the config follows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.bench.written.scores import Matcher, Scores, StoredFact, Written, score, speaker_of
from app.transfer.locomo import BenchConversation, load_locomo
from memory.consolidation.checks import statements_only
from memory.consolidation.grounding import support
from memory.consolidation.own_words import own_word_facts
from memory.consolidation.profile import current
from memory.consolidation.slots import slot_values
from memory.consolidation.steps import extract_facts, extract_facts_constrained
from memory.errors import StepFailed
from models.protocols import LLM, Embedder

SOURCES = ("words", "slots", "model", "grammar")
Progress = Callable[[str], None]


@dataclass
class SourceResult:
    scores: Scores
    seconds: float
    failed_steps: int


def _sessions(conv: BenchConversation) -> list[tuple[datetime, list[str]]]:
    """Each session's labelled statements and its date, in order."""
    out: dict[str, tuple[datetime, list[str]]] = {}
    for dia, turn in conv.turns:
        session = dia.split(":")[0]
        when, texts = out.setdefault(session, (turn.when, []))
        said = statements_only(f"{turn.speaker}: {turn.text}")
        if said:
            texts.append(said)
    return list(out.values())


def _subject(text: str, sources: Sequence[str], speakers: Sequence[str]) -> str:
    named = [s for s in speakers if s.lower() in text.lower()]
    if len(named) == 1:
        return named[0]
    return speaker_of(max(sources, key=lambda s: support(text, s), default=""))


def facts_of(
    source: str, llm: LLM | None, when: datetime, texts: list[str], speakers: Sequence[str]
) -> list[StoredFact]:
    """What `source` makes of one session's statements."""
    if source == "words":
        return [
            StoredFact(_subject(fact, [t], speakers), fact, (t,))
            for t in texts
            for fact, _ in own_word_facts(t, when)
        ]
    if source == "slots":
        values = current(v for t in texts for v in slot_values(t))
        return [StoredFact(v.subject, v.text, tuple(texts)) for v in values]
    assert llm is not None
    step = extract_facts if source == "model" else extract_facts_constrained
    return [StoredFact(_subject(f, texts, speakers), f, tuple(texts)) for f in step(llm, texts)]


def compare_fact_sources(
    path: Path,
    *,
    embedder: Embedder,
    llm: LLM | None,
    sources: Sequence[str] = SOURCES,
    limit_conversations: int | None = None,
    progress: Progress = lambda _: None,
) -> dict[str, SourceResult]:
    import json

    raws: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    conversations = load_locomo(path)[:limit_conversations]
    matcher = Matcher(embedder)
    results = {s: SourceResult(Scores(), 0.0, 0) for s in sources}
    for conv, raw in zip(conversations, raws, strict=False):
        speakers = sorted({t.speaker for _, t in conv.turns})
        sessions = _sessions(conv)
        for source in sources:
            start, failed, written = time.perf_counter(), 0, Written()
            for when, texts in sessions:
                try:
                    written.facts += facts_of(source, llm, when, texts, speakers)
                except StepFailed:
                    failed += 1
            written.texts = [f.text for f in written.facts]
            result = results[source]
            result.seconds += time.perf_counter() - start
            result.failed_steps += failed
            scores = score(conv, raw, written, matcher, _NoRouge(), [])
            result.scores.add(scores)
            progress(f"{conv.name} {source}: {json.dumps(scores.as_json())}")
    return results


class _NoRouge:
    """Summaries are not written here; the scorer's summary loop finds none to score."""

    def score(self, *_: Any) -> dict[str, Any]:  # pragma: no cover - never called
        raise AssertionError("no summaries in the fact comparison")


def markdown(results: dict[str, SourceResult], model: str, conversations: int) -> str:
    def f(v: Any) -> str:
        return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = [
        f"Each session's statements handed to each fact source at the session's end, as the "
        f"daily job does (`{model}` for the model rows), {conversations} conversation(s); "
        "scored against LoCoMo's gold observations with the matcher below.",
        "",
        "| fact source | fact recall | fact precision (gold only) | loops | facts / observations "
        "| failed steps | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        j = r.scores.as_json()
        lines.append(
            f"| {name} | {f(j['fact_recall'])} | {f(j['fact_precision'])} "
            f"({f(j['fact_precision_gold'])}) | {j['loops']} | {j['facts']} / "
            f"{j['observations']} | {r.failed_steps} | {r.seconds:.0f} |"
        )
    return "\n".join(lines)

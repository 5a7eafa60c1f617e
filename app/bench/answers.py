"""`membank-cli bench answers`: what the user sees, scored: each LoCoMo question (or MemoryBank
probe, app/transfer/memorybank.py) asked through the chat path the window uses, with the
configured chat model, for one or more prompt styles; with the reply check's card counted in."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.bench.answer_scores import (
    Asked,
    Scores,
    answer_hit,
    evidence_ids,
    rate,
    refused,
    sample_questions,
    token_f1,
)
from app.bench.recall import load_embedder_default, torch_threads
from app.bootstrap import Runtime, load_llm, open_bank, open_runtime
from app.config import Config
from app.engine.prompt_style import prompt_style_for
from app.services.events import RecallEvent, ReplyEvent
from app.transfer.conversations import import_conversation
from app.transfer.locomo import (
    CATEGORIES,
    BenchConversation,
    BenchDataError,
    Question,
    load_locomo,
)
from app.transfer.memorybank import load_memorybank
from models.protocols import LLM, Embedder

Progress = Callable[[str], None]
DEFAULT_CATEGORIES = (1, 2, 3, 4)
EXAMPLES_PER_KIND = (
    3  # per style: right, caught, false_alarm, silent_wrong, missed_without_evidence
)


@dataclass
class AnswersReport:
    model: str
    styles: dict[str, Scores]  # the first is the style the app picks for this model
    conversations: int
    per_conversation: int | None
    sampled: int
    ingest_seconds: float
    examples: list[dict[str, str]] = field(default_factory=list)
    path_name: str = ""

    def as_json(self) -> dict[str, Any]:
        first = next(iter(self.styles.values()))
        return {
            "model": self.model,
            "style": next(iter(self.styles)),
            "sample": self.sample_note(),
            "questions": self.sampled,
            **first.as_json(),
            "styles": {name: s.as_json() for name, s in self.styles.items()},
            "examples": self.examples,
        }

    def sample_note(self) -> str:
        per = (
            f"up to {self.per_conversation} questions per conversation"
            if self.per_conversation
            else "every question"
        )
        return (
            f"`{self.path_name}`: "
            f"{self.conversations} conversations, {per} ({self.sampled} in all), categories "
            "1-4, stratified by category (the quota goes round the categories, picks evenly "
            "spaced within each; deterministic); memories stored at question time (the day after "
            "the last session), asked through the chat path with memory paused (nothing written)"
        )

    def markdown(self) -> str:
        lines = [
            f"Chat model `{self.model}`; sample: {self.sample_note()}.",
            "",
            "Prompt styles (same questions, same recall, one run):",
            "",
            "| style | answer shown | silent wrong | flag precision | flag recall "
            "| answer hit | hit given evidence | evidence in prompt | F1 | refusals | card shown "
            "| p50 latency |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, scores in self.styles.items():
            o = scores.of()
            lines.append(
                f"| {name} | {o['answer_shown']:.3f} | {o['silent_wrong_rate']:.3f} | "
                f"{rate(o['flag_precision'])} | {rate(o['flag_recall'])} | "
                f"{o['answer_hit']:.3f} | {o['answer_hit_given_evidence']:.3f} | "
                f"{o['evidence_in_prompt']:.3f} | {o['f1']:.3f} | {o['refusal_rate']:.3f} | "
                f"{o['flagged_rate']:.3f} | {o['latency_p50_s']:.2f} s |"
            )
        for name, scores in self.styles.items():
            lines += [
                "",
                f"By category, style `{name}`:",
                "",
                "| category | questions | answer shown | silent wrong | flag precision | "
                "flag recall | answer hit | hit given evidence | evidence in prompt | F1 | "
                "refusals |",
                "|---|---|---|---|---|---|---|---|---|---|---|",
            ]
            for c in scores.categories():
                o = scores.of(c)
                lines.append(
                    f"| {c} {CATEGORIES.get(c, '')} | {o['questions']} | "
                    f"{o['answer_shown']:.3f} | {o['silent_wrong_rate']:.3f} | "
                    f"{rate(o['flag_precision'])} | {rate(o['flag_recall'])} | "
                    f"{o['answer_hit']:.3f} | "
                    f"{o['answer_hit_given_evidence']:.3f} | {o['evidence_in_prompt']:.3f} | "
                    f"{o['f1']:.3f} | {o['refusal_rate']:.3f} |"
                )
        lines += [
            "",
            "Answer hit: at least half of the gold answer's content words (stemmed) are in the "
            "reply. Evidence in prompt: at least one evidence turn was among the memories in the "
            "prompt. F1: LoCoMo's token F1. Refusals: the reply declines or says it does not "
            "know. Card shown: the reply check flagged the reply and showed a memory under it. "
            "Answer shown: the reply holds the answer, or the card shows a memory that does. "
            "Silent wrong: share of all questions where an evidence turn was in the prompt, the "
            "reply missed the answer and nothing was flagged. Flag precision: of flagged replies, "
            "the share that missed the answer; flag recall: of replies that missed it, the share "
            "flagged (0.000 when there is none to count). Latency: "
            "recall plus the whole reply. "
            f"Import: {self.ingest_seconds:.0f} s in all.",
        ]
        return "\n".join(lines)


def load_conversations(path: Path) -> list[BenchConversation]:
    """A LoCoMo-shaped file, or MemoryBank's daily chats with their probes (transfer/memorybank)."""
    try:
        with path.open(encoding="utf-8") as f:
            head = f.read(256).lstrip()[:1]
    except OSError as exc:
        raise BenchDataError(f"{path} cannot be read ({exc}).") from exc
    return load_memorybank(path) if head == "{" else load_locomo(path)


def run_answers(
    path: Path,
    *,
    limit: int | None = None,
    per_conversation: int | None = None,
    styles: Sequence[str] = (),
    config: Config | None = None,
    embedder: Embedder | None = None,
    llm: LLM | None = None,
    progress: Progress = lambda _: None,
) -> AnswersReport:
    """Each conversation imported (as chat stores it) into a fresh data folder, then each sampled
    question asked once per prompt style."""
    config = config or Config()
    conversations = load_conversations(path)[:limit]
    chosen = prompt_style_for(config)
    names = list(dict.fromkeys([chosen, *styles]))
    if embedder is None:
        progress("Loading the embedding model…")
        embedder = load_embedder_default()
    own_llm = llm is None
    if llm is None:
        progress("Loading the chat model…")
        llm = load_llm(config)
    report = AnswersReport(llm.model_id, {n: Scores() for n in names}, 0, per_conversation, 0, 0.0)
    report.path_name = path.name
    try:
        for conv in conversations:
            questions = sample_questions(conv.questions, per_conversation, DEFAULT_CATEGORIES)
            one_conversation(conv, questions, config, embedder, llm, report, progress)
            report.conversations += 1
            report.sampled += len(questions)
    finally:
        if own_llm:
            llm.close()
    return report


def one_conversation(
    conv: BenchConversation,
    questions: list[Question],
    config: Config,
    embedder: Embedder,
    llm: LLM,
    report: AnswersReport,
    progress: Progress,
) -> None:
    with tempfile.TemporaryDirectory(prefix="membank-bench-") as folder:
        runtime = open_runtime(folder, now=conv.asked_at)
        try:
            bank = open_bank(runtime, embedder)
            started = time.perf_counter()
            with torch_threads(2):
                imported = import_conversation(
                    runtime.store, bank, conv.name, [t for _, t in conv.turns], conv.asked_at
                )
            report.ingest_seconds += time.perf_counter() - started
            by_dia = {d: m.id for (d, _), m in zip(conv.turns, imported.memories, strict=True)}
            runtime.host.attach(bank, llm, borrowed=True)  # shared: closed by the caller
            for name, scores in report.styles.items():
                style = config.llm.model_copy(update={"prompt_style": name})
                runtime.host.swap(config=config.model_copy(update={"llm": style}))
                for q in questions:
                    evidence = {by_dia[e] for e in evidence_ids(q.evidence) if e in by_dia}
                    scores.rows.append(_ask(runtime, q, evidence, report, name))
                o = scores.of()
                progress(
                    f"{conv.name} [{name}]: {len(scores.rows)} asked so far, answer hit "
                    f"{o['answer_hit']:.2f}, given evidence {o['answer_hit_given_evidence']:.2f}"
                )
        finally:
            runtime.close()  # the bank with it; the borrowed chat model stays open


def _ask(
    runtime: Runtime, q: Question, evidence: set[str], report: AnswersReport, style: str
) -> Asked:
    started = time.perf_counter()
    used: set[str] = set()
    reply: ReplyEvent | None = None
    for event in runtime.chat.send_paused([], q.text, cancel=threading.Event()):
        if isinstance(event, RecallEvent):
            used = {r.memory.id for r in event.memories}
        elif isinstance(event, ReplyEvent):
            reply = event
    seconds = time.perf_counter() - started
    text = reply.message.text if reply else ""
    check = reply.check if reply else None
    flagged = bool(check and check.flagged)
    card = check.card() if check and flagged else ""
    asked = Asked(
        q.category,
        token_f1(text, q.answer),
        answer_hit(text, q.answer),
        bool(evidence & used),
        refused(text),
        flagged,
        seconds,
        bool(flagged and check and check.memory and answer_hit(check.memory.text, q.answer)),
    )
    same = [e for e in report.examples if e["style"] == style and e["kind"] == asked.kind]
    if len(same) < EXAMPLES_PER_KIND:
        report.examples.append(
            {
                "style": style,
                "kind": asked.kind,
                "question": q.text,
                "gold": q.answer,
                "reply": text,
                "verdict": check.verdict if check else "",
                "claims": "; ".join(f"{c.kind}: {c.text}" for c in check.claims) if check else "",
                "card": card,
            }
        )
    return asked

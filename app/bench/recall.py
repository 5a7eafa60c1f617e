"""`membank-cli bench recall|scale`: recall on LoCoMo-shaped files, speed at 10k/100k memories."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from app.bench.realtime import as_turns, live, without_overviews
from app.bootstrap import load_embedder, load_llm, open_bank, open_runtime
from app.config import Config, load_config, resolve_paths
from app.transfer.conversations import import_conversation
from app.transfer.locomo import CATEGORIES, BenchConversation, load_locomo
from memory.consolidation.hierarchy import HierarchyStore
from memory.lifecycle.decay import DecayPolicy
from memory.recall.retrieval import HybridRetriever, RecallSettings
from memory.records import PERSONAL
from models.protocols import LLM, Embedder

KS = (1, 5, 10, 20)
CATS_1_4 = (1, 2, 3, 4)
Progress = Callable[[str], None]


def bench_settings(base: RecallSettings) -> dict[str, RecallSettings]:
    """The pipeline as the app runs it, and each search alone; no relevance floors and no token
    budget, so the top 20 are always ranked (recall@k measures the ranking)."""
    full = replace(base, k=max(KS), floors=False, token_budget=None)
    return {
        "full": full,
        "keyword-only": replace(
            full,
            dense_weight=0.0,
            graph_weight=0.0,
            to_next_turn=0.0,
            to_previous_turn=0.0,
            speaker_boost=0.0,
            time_weight=0.0,
            time_boost=0.0,
        ),
        "dense-only": replace(
            full,
            keyword_weight=0.0,
            speaker_boost=0.0,
            time_weight=0.0,
            time_boost=0.0,
            graph_weight=0.0,
        ),
        # The memory graph's personalized PageRank: left out, added at 0.2, and on its own.
        "no-graph": replace(full, graph_weight=0.0),
        "with-graph": replace(full, graph_weight=full.graph_weight or 0.2),
        "graph-only": replace(
            full,
            dense_weight=0.0,
            keyword_weight=0.0,
            to_next_turn=0.0,
            to_previous_turn=0.0,
            speaker_boost=0.0,
            time_weight=0.0,
            time_boost=0.0,
            graph_weight=1.0,
        ),
    }


@dataclass
class Tally:
    """Sums of fractional recall@k per category, and how many questions went in."""

    sums: dict[int, list[float]] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)

    def add(self, category: int, found: Sequence[str], evidence: set[str]) -> None:
        row = self.sums.setdefault(category, [0.0] * len(KS))
        for i, k in enumerate(KS):
            row[i] += len(evidence & set(found[:k])) / len(evidence)
        self.counts[category] = self.counts.get(category, 0) + 1

    def recall(self, categories: Sequence[int]) -> list[float]:
        n = sum(self.counts.get(c, 0) for c in categories)
        if n == 0:
            return [0.0] * len(KS)
        return [
            sum(self.sums.get(c, [0.0] * len(KS))[i] for c in categories) / n
            for i in range(len(KS))
        ]


@dataclass
class RecallReport:
    tallies: dict[str, Tally]
    latencies_ms: list[float]
    turns: int
    ingest_seconds: float
    conversations: int
    # --realtime: the same questions after the conversations were lived in time.
    realtime: Tally | None = None
    faded_turns: int = 0
    realtime_turns: int = 0
    consolidated: bool = False
    jobs: dict[str, int] = field(default_factory=dict)

    @property
    def faded_share(self) -> float:
        return self.faded_turns / self.realtime_turns if self.realtime_turns else 0.0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "conversations": self.conversations,
            "turns": self.turns,
            "ingest_turns_per_s": round(self.turns / max(self.ingest_seconds, 1e-9), 1),
            "latency_ms": {
                "p50": percentile(self.latencies_ms, 50),
                "p95": percentile(self.latencies_ms, 95),
            },
            "modes": {},
        }
        for mode, tally in self.tallies.items():
            cats = {
                str(c): dict(zip([f"R@{k}" for k in KS], _round(tally.recall([c])), strict=True))
                | {"questions": tally.counts.get(c, 0)}
                for c in sorted(tally.counts)
            }
            overall = _round(tally.recall([1, 2, 3, 4]))
            out["modes"][mode] = {
                "categories_1_4": dict(zip([f"R@{k}" for k in KS], overall, strict=True)),
                "by_category": cats,
            }
        if self.realtime is not None:
            out["modes"]["realtime"] = _mode_json(self.realtime) | {
                "faded_share": round(self.faded_share, 3),
                "consolidated": self.consolidated,
            }
            full, lived = self.tallies["full"].recall(CATS_1_4), self.realtime.recall(CATS_1_4)
            out["realtime_over_full_R@10"] = round(lived[2] / full[2], 3) if full[2] else 0.0
            out["jobs"] = self.jobs
        return out

    def markdown(self) -> str:
        if self.realtime is not None:
            return realtime_markdown(self) + "\n\n" + self._markdown()
        return self._markdown()

    def _markdown(self) -> str:
        head = "| retriever | " + " | ".join(f"R@{k}" for k in KS) + " |"
        lines = [
            "Categories 1-4 (fractional recall of the evidence turns):",
            "",
            head,
            "|---" * (len(KS) + 1) + "|",
        ]
        for mode, tally in self.tallies.items():
            lines.append(
                f"| {mode} | " + " | ".join(f"{x:.3f}" for x in tally.recall([1, 2, 3, 4])) + " |"
            )
        full = self.tallies["full"]
        lines += [
            "",
            "Full pipeline by category (category 5 is not part of the score):",
            "",
            "| category | questions | " + " | ".join(f"R@{k}" for k in KS) + " |",
            "|---|---" + "|---" * len(KS) + "|",
        ]
        for c in sorted(full.counts):
            lines.append(
                f"| {c} {CATEGORIES.get(c, '')} | {full.counts[c]} | "
                + " | ".join(f"{x:.3f}" for x in full.recall([c]))
                + " |"
            )
        r10 = {m: t.recall([1, 2, 3, 4])[2] for m, t in self.tallies.items()}
        lines += [
            "",
            "R@10 categories 1-4: " + ", ".join(f"{m} {v:.3f}" for m, v in r10.items()),
            f"Latency per query (full pipeline, embedding included): p50 "
            f"{percentile(self.latencies_ms, 50):.1f} ms, p95 "
            f"{percentile(self.latencies_ms, 95):.1f} ms over {len(self.latencies_ms)} "
            "questions.",
            f"Ingest: {self.turns} turns of {self.conversations} conversations in "
            f"{self.ingest_seconds:.1f} s ({self.turns / max(self.ingest_seconds, 1e-9):.0f}"
            " turns/s; messages, memories, embeddings, index).",
        ]
        return "\n".join(lines)


def run_recall(
    path: Path,
    *,
    limit_conversations: int | None = None,
    embedder: Embedder | None = None,
    progress: Progress = lambda _: None,
    realtime: bool = False,
    consolidate: bool = False,
    decay: DecayPolicy | None = None,
    recall_settings: RecallSettings | None = None,
) -> RecallReport:
    """Each conversation in a fresh data folder, imported as the app stores chat, then every
    question asked the day after the last session, through each retriever (stored at question
    time). With `realtime`, each conversation is also lived session by session on its own dates
    (app.bench.realtime) and asked the same questions; `consolidate` adds the real daily job."""
    conversations = load_locomo(path)[:limit_conversations]
    if embedder is None:
        progress("Loading the embedding model…")
        embedder = load_embedder_default()
    llm = None
    if realtime and consolidate:
        progress("Loading the chat model…")
        llm = load_llm(load_config(resolve_paths().config_file))
    tallies: dict[str, Tally] = {}
    latencies: list[float] = []
    turns = 0
    ingest_seconds = 0.0
    report = RecallReport(tallies, latencies, 0, 0.0, len(conversations), consolidated=consolidate)
    try:
        for conv in conversations:
            seconds = one_conversation(conv, embedder, tallies, latencies, recall_settings)
            ingest_seconds += seconds
            turns += len(conv.turns)
            progress(
                f"{conv.name}: {len(conv.turns)} turns in {seconds:.1f} s, "
                f"{len(conv.questions)} questions"
            )
            if realtime:
                lived_conversation(conv, embedder, report, decay, recall_settings, llm)
                progress(
                    f"{conv.name} lived in time: {report.faded_turns}/{report.realtime_turns} "
                    "turns faded so far"
                )
    finally:
        if llm is not None:
            llm.close()
    report.turns, report.ingest_seconds = turns, ingest_seconds
    return report


def lived_conversation(
    conv: BenchConversation,
    embedder: Embedder,
    report: RecallReport,
    decay: DecayPolicy | None,
    recall_settings: RecallSettings | None,
    llm: LLM | None,
) -> None:
    tally = report.realtime = report.realtime or Tally()
    settings = bench_settings(recall_settings or app_recall_settings())["full"]

    def ask(retriever: HybridRetriever, by_dia: dict[str, str], asked_at: datetime) -> None:
        hierarchy = HierarchyStore(retriever.store)
        for q in conv.questions:
            evidence = {by_dia[e] for e in _evidence_ids(q.evidence) if e in by_dia}
            if not evidence:
                continue
            found = without_overviews(retriever.recall(q.text, asked_at, max(KS) + 3))
            tally.add(q.category, as_turns(found, hierarchy)[: max(KS)], evidence)

    with torch_threads(1):
        lived = live(conv, embedder, settings, ask, decay=decay, llm=llm)
    report.faded_turns += lived.faded_turns
    report.realtime_turns += lived.turns
    for key, n in lived.jobs.items():
        report.jobs[key] = report.jobs.get(key, 0) + n


def app_recall_settings() -> RecallSettings:
    """The recall settings the app runs with by default (bootstrap.open_bank)."""
    m = Config().memory
    return RecallSettings(
        k=m.recall_k, min_similarity=m.min_similarity, graph_weight=m.graph_weight
    )


def realtime_markdown(report: RecallReport) -> str:
    assert report.realtime is not None
    full = report.tallies["full"].recall(CATS_1_4)
    lived = report.realtime.recall(CATS_1_4)
    how = (
        "decay sweep and daily job (consolidation, reflection)"
        if report.consolidated
        else ("decay sweep")
    )
    lines = [
        f"Realtime (each session stored on its own date, {how} replayed daily, questions "
        "the day after the last session) beside stored-at-question-time, categories 1-4:",
        "",
        "| pipeline | " + " | ".join(f"R@{k}" for k in KS) + " |",
        "|---" * (len(KS) + 1) + "|",
        "| stored-at-question-time (full) | " + " | ".join(f"{x:.3f}" for x in full) + " |",
        "| realtime | " + " | ".join(f"{x:.3f}" for x in lived) + " |",
        "",
        *(
            [
                "A fact in the user's own words found by recall counts as the one turn it was "
                "put in the third person from (the fact's card links to it); summaries and other "
                "derived memories count as themselves, never as evidence.",
                "",
            ]
            if report.consolidated
            else []
        ),
        f"Realtime / stored-at-question-time R@10: {lived[2] / full[2] if full[2] else 0:.3f}; "
        f"faded by question time: {report.faded_turns} of {report.realtime_turns} turns "
        f"({report.faded_share:.1%}).",
        "",
        "Realtime by category:",
        "",
        "| category | questions | " + " | ".join(f"R@{k}" for k in KS) + " |",
        "|---|---" + "|---" * len(KS) + "|",
    ]
    for c in sorted(report.realtime.counts):
        lines.append(
            f"| {c} {CATEGORIES.get(c, '')} | {report.realtime.counts[c]} | "
            + " | ".join(f"{x:.3f}" for x in report.realtime.recall([c]))
            + " |"
        )
    if report.jobs:
        lines += ["", "Jobs replayed: " + ", ".join(f"{k} {v}" for k, v in report.jobs.items())]
    return "\n".join(lines)


def _mode_json(tally: Tally) -> dict[str, Any]:
    cats = {
        str(c): dict(zip([f"R@{k}" for k in KS], _round(tally.recall([c])), strict=True))
        | {"questions": tally.counts.get(c, 0)}
        for c in sorted(tally.counts)
    }
    overall = _round(tally.recall(CATS_1_4))
    return {
        "categories_1_4": dict(zip([f"R@{k}" for k in KS], overall, strict=True)),
        "by_category": cats,
    }


def load_embedder_default(threads: int = 1) -> Embedder:
    """The bundled MiniLM with `threads` torch threads: on 2 shared cores a single query took
    ~750 ms with 2 threads (spinning against the other load) and ~30 ms with 1."""
    import torch

    from app.config import Config

    torch.set_num_threads(threads)
    return load_embedder(Config())


def one_conversation(
    conv: BenchConversation,
    embedder: Embedder,
    tallies: dict[str, Tally],
    latencies: list[float],
    recall_settings: RecallSettings | None = None,
) -> float:
    asked_at = conv.asked_at
    with tempfile.TemporaryDirectory(prefix="membank-bench-") as folder:
        runtime = open_runtime(folder, now=asked_at)
        try:
            bank = open_bank(runtime, embedder)
            started = time.perf_counter()
            # Batches gain from both cores on an idle machine (~70 -> ~125 texts/s here); under
            # load from other processes two threads measured slower than one.
            with torch_threads(2):
                imported = import_conversation(
                    runtime.store, bank, conv.name, [t for _, t in conv.turns], asked_at
                )
            seconds = time.perf_counter() - started
            by_dia = {dia: m.id for (dia, _), m in zip(conv.turns, imported.memories, strict=True)}
            settings = bench_settings(recall_settings or bank.retriever.settings)
            retrievers = {
                mode: HybridRetriever(bank.store, bank.index, bank.embedder.embed, bank.decay, s)
                for mode, s in settings.items()
            }
            for retriever in retrievers.values():
                retriever.times.warm_up(asked_at)  # once per process in the app; not timed
            for q in conv.questions:
                evidence = {by_dia[e] for e in _evidence_ids(q.evidence) if e in by_dia}
                if not evidence:
                    continue
                for mode, retriever in retrievers.items():
                    t0 = time.perf_counter()
                    # In the personal space, as a chat asks (every memory here is personal).
                    found = [
                        r.memory.id
                        for r in retriever.recall(q.text, asked_at, max(KS), space=PERSONAL)
                    ]
                    if mode == "full":
                        latencies.append((time.perf_counter() - t0) * 1000)
                    tallies.setdefault(mode, Tally()).add(q.category, found, evidence)
            bank.close()
        finally:
            runtime.close()
    return seconds


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _evidence_ids(evidence: Sequence[str]) -> list[str]:
    # A few entries hold several ids ("D8:6; D9:17"); ids that name no turn are skipped later.
    return [e for item in evidence for e in re.split(r"[;,\s]+", item) if e]


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return round(ordered[index], 1)


def _round(values: Sequence[float]) -> list[float]:
    return [round(v, 3) for v in values]


def write_section(doc: Path, name: str, command: str, body: str) -> None:
    """Replace (or append) the section between this benchmark's markers in docs/benchmarks.md."""
    start, end = f"<!-- bench {name} -->", f"<!-- /bench {name} -->"
    section = f"{start}\n\nMade with `{command}`:\n\n{body}\n\n{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")

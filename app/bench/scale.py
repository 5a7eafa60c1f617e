"""`bench scale`: fill stores of growing size, then time recall plus prompt assembly (no chat
model) and every other operation that touches the whole store, with peak RSS and disk size."""

from __future__ import annotations

import random
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.bench.corpus import Corpus
from app.bench.recall import load_embedder_default, percentile, torch_threads
from app.bench.scale_ops import (
    OpResult,
    browser_page,
    folder_mb,
    gui_startup,
    measured,
    ops_markdown,
    timed,
)
from app.bench.startup import StartupBenchError
from app.bootstrap import open_bank, open_runtime
from memory.archive.writer import export_archive
from memory.bank import Draft, MemoryBank
from memory.lifecycle.fading import sweep
from memory.recall.prompt import PromptBudget, PromptBuilder
from memory.recall.retrieval import HybridRetriever
from memory.records import Kind
from memory.storage.consistency import check
from models.protocols import Embedder

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SizeResult:
    memories: int
    ingest_per_s: float
    p50_ms: float
    p95_ms: float
    embed_p50_ms: float
    peak_rss_mb: float
    ops: list[OpResult] = field(default_factory=list)
    disk_mb: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScaleReport:
    vectors: str
    results: list[SizeResult]
    text: str = ""

    def as_json(self) -> dict[str, Any]:
        sizes = [{**r.__dict__, "ops": [o.__dict__ for o in r.ops]} for r in self.results]
        return {"vectors": self.vectors, "text": self.text, "sizes": sizes}

    def markdown(self) -> str:
        lines = [
            "| memories | ingest (memories/s) | recall + prompt p50 | p95 | of which query "
            "embedding p50 | peak RSS |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.results:
            lines.append(
                f"| {r.memories:,} | {r.ingest_per_s:.0f} | {r.p50_ms:.1f} ms | {r.p95_ms:.1f} ms"
                f" | {r.embed_p50_ms:.1f} ms | {r.peak_rss_mb:.0f} MB |"
            )
        fill = (
            "MiniLM vectors"
            if self.vectors == "model"
            else "random unit vectors (ingest rate is then SQLite + Chroma only)"
        )
        lines += [
            "",
            f"Stores filled with {fill}; text: {self.text or 'template sentences'}. Queries "
            "embedded with MiniLM. Peak RSS in this table is the process's high-water mark so "
            "far (it includes the embedder and every smaller size before).",
        ]
        for r in self.results:
            lines += ops_markdown(r.memories, r.ops, r.disk_mb)
        return "\n".join(lines)


class RandomVectors:
    """Fills the index fast: random unit vectors under the real model's name and size."""

    def __init__(self, model_id: str, dim: int, seed: int = 7) -> None:
        self.model_id = model_id
        self._dim = dim
        self._rng = np.random.default_rng(seed)

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        v = self._rng.standard_normal((len(texts), self._dim)).astype(np.float32)
        out: npt.NDArray[np.float32] = v / np.linalg.norm(v, axis=1, keepdims=True)
        return out


def run_scale(
    sizes: Sequence[int],
    queries: int,
    vectors: str,
    progress: Progress = lambda _: None,
    *,
    corpus: Corpus | None = None,
    startup: bool = False,
    graph: bool = True,
) -> ScaleReport:
    corpus = corpus or Corpus()
    progress("Loading the embedding model…")
    model = load_embedder_default()
    results = [
        _one_size(n, queries, vectors, model, corpus, startup, progress, graph) for n in sizes
    ]
    return ScaleReport(vectors, results, corpus.description)


def _fill(bank: MemoryBank, n: int, corpus: Corpus, rng: random.Random, progress: Progress) -> None:
    started = time.perf_counter()
    conversation = None
    for start in range(0, n, 1000):
        if start % 500 == 0:
            conversation = bank.store.create_conversation(f"c{start}", NOW)
        drafts = [
            Draft(
                Kind.TURN if i % 10 else Kind.NOTE,
                corpus.text(rng),
                NOW - timedelta(days=rng.uniform(0, 3650)),  # ten years of them
                conversation.id if conversation else None,
            )
            for i in range(start, min(n, start + 1000))
        ]
        # One SQLite transaction per batch (the app commits each memory): a faster fill.
        with torch_threads(2), bank.store.transaction():
            bank.remember_many(drafts, NOW)
        if start and start % 20_000 == 0:
            rate = start / (time.perf_counter() - started)
            progress(
                f"{n:,}: {start:,} memories in {time.perf_counter() - started:.0f} s ({rate:.0f}/s)"
            )


def _recall(
    bank: MemoryBank, model: Embedder, corpus: Corpus, rng: random.Random, queries: int
) -> tuple[list[float], list[float]]:
    embed_ms: list[float] = []

    def timed_embed(texts: list[str]) -> npt.NDArray[np.float32]:
        t0 = time.perf_counter()
        out = model.embed(texts)
        embed_ms.append((time.perf_counter() - t0) * 1000)
        return out

    retriever = HybridRetriever(
        bank.store, bank.index, timed_embed, bank.decay, bank.retriever.settings
    )
    builder = PromptBuilder(lambda text: len(text) // 4 + 1, PromptBudget())
    retriever.times.warm_up(NOW)
    latencies: list[float] = []
    for _ in range(queries):
        query = corpus.query(rng)
        t0 = time.perf_counter()
        recalled = retriever.recall(query, NOW)
        builder.build(query, NOW, recalled, [])
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies, embed_ms


def _one_size(
    n: int,
    queries: int,
    vectors: str,
    model: Embedder,
    corpus: Corpus,
    startup: bool,
    progress: Progress,
    graph: bool = True,
) -> SizeResult:
    rng = random.Random(n)
    filler: Embedder = model if vectors == "model" else RandomVectors(model.model_id, model.dim)
    ops: list[OpResult] = []
    disk: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="membank-scale-") as tmp:
        folder = Path(tmp)
        runtime = open_runtime(tmp, now=NOW)
        try:
            bank = open_bank(runtime, filler)
            # Unlinked (graphed = 0): recall finds no entity to walk from.
            if not graph:
                bank.graph.link = lambda _memories: None  # type: ignore[method-assign,assignment]
            started = time.perf_counter()
            with measured("fill (remember_many, 1,000 per transaction)", ops):
                _fill(bank, n, corpus, rng, progress)
            ingest = n / (time.perf_counter() - started)
            disk["store (SQLite + Chroma)"] = folder_mb(folder)
            disk["of which Chroma"] = folder_mb(runtime.paths.index_dir)
            progress(f"{n:,}: filled at {ingest:.0f}/s; recall…")
            with measured(f"recall + prompt, {queries} queries", ops):
                latencies, embed_ms = _recall(bank, model, corpus, rng, queries)
            _whole_store_ops(runtime.store, bank, folder, ops, disk, progress)
            bank.close()
        finally:
            runtime.close()
        progress(f"{n:,}: start-up heal…")
        _reopen(tmp, filler, ops)
        for op in ops:
            progress(f"{n:,}: {op}")
        if startup:
            progress(f"{n:,}: the GUI's start-up…")
            try:
                marks = gui_startup(folder)
            except (StartupBenchError, OSError, subprocess.SubprocessError) as exc:
                ops.append(OpResult("GUI start-up", 0, 0, f"failed: {str(exc)[:200]}"))
            else:
                for event, name in (
                    ("window_shown", "GUI: launch to visible window"),
                    ("models_ready", "GUI: launch to models ready"),
                ):
                    ops.append(OpResult(name, round(marks[event] / 1000, 3), 0))
            progress(f"{n:,}: {ops[-1]}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = SizeResult(
        n,
        round(ingest, 1),
        percentile(latencies, 50),
        percentile(latencies, 95),
        percentile(embed_ms, 50),
        round(rss_mb, 1),
        ops,
        {k: round(v, 1) for k, v in disk.items()},
    )
    progress(f"{n:,}: {result}")
    return result


def _whole_store_ops(
    store: Any,
    bank: MemoryBank,
    folder: Path,
    ops: list[OpResult],
    disk: dict[str, float],
    progress: Progress,
) -> None:
    faded = timed("decay sweep (the daily job)", ops, lambda: sweep(store, bank.decay, NOW))
    ops[-1] = OpResult(ops[-1].name, ops[-1].seconds, ops[-1].peak_rss_mb, f"{faded} faded")
    timed(
        "memory browser: first page + count",
        ops,
        lambda: browser_page(store, bank.decay, NOW),
        f"{_page()} newest rows with retention",
    )
    progress("consistency check…")
    report = timed("consistency check (`doctor`)", ops, lambda: check(store, bank.index))
    ops[-1] = OpResult(
        ops[-1].name,
        ops[-1].seconds,
        ops[-1].peak_rss_mb,
        "clean" if report.clean else ", ".join(sorted(report.names())),
    )
    progress("export…")
    archive = folder / "export.membank"
    timed(
        "export with vectors",
        ops,
        lambda: export_archive(store, archive, NOW, bank=bank),
        "archive zip: JSONL + .npy",
    )
    disk["export archive"] = archive.stat().st_size / 1e6
    archive.unlink()


def _page() -> int:
    from app.bench.scale_ops import BROWSER_PAGE

    return BROWSER_PAGE


def _reopen(tmp: str, filler: Embedder, ops: list[OpResult]) -> None:
    """Start-up on the filled folder as `load_models` does it, minus the models themselves."""
    runtime = timed(
        "start-up: open the store (migrations, lock)", ops, lambda: open_runtime(tmp, now=NOW)
    )
    try:

        def heal() -> MemoryBank:
            bank = open_bank(runtime, filler)
            bank.reconcile(quick=True)  # as load_models does; `doctor` compares every id
            return bank

        bank = timed("start-up: open the index + quick reconcile", ops, heal)
        bank.close()
    finally:
        runtime.close()

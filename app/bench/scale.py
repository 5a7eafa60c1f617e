"""`bench scale`: fill synthetic stores, then time recall plus prompt assembly (no chat model)."""

from __future__ import annotations

import random
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from app.bench.recall import load_embedder_default, percentile, torch_threads
from app.bootstrap import open_bank, open_runtime
from memory.bank import Draft
from memory.recall.prompt import PromptBudget, PromptBuilder
from memory.recall.retrieval import HybridRetriever
from memory.records import Kind
from models.protocols import Embedder

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
_PEOPLE = "Alice Bob Carla Dmitri Elena Farid Greta Hiro Ines Jonas Kofi Lena Mateo Nadia".split()
_PLACES = "Lisbon Porto Berlin Kyoto Oslo Lima Accra Hanoi Quebec Tartu Bergen Cusco".split()
_VERBS = "visited cooked painted repaired planned discussed bought sold read watched".split()
_THINGS = (
    "a bicycle|sourdough bread|the garden shed|a violin|a mystery novel|the kitchen sink|"
    "a hiking trip|a birthday party|a chess set|a pottery class|the tax return|a new laptop"
).split("|")
_WHEN = ["", " last week", " yesterday", " in March", " two years ago", " last month"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SizeResult:
    memories: int
    ingest_per_s: float
    p50_ms: float
    p95_ms: float
    embed_p50_ms: float
    peak_rss_mb: float


@dataclass(frozen=True)
class ScaleReport:
    vectors: str
    results: list[SizeResult]

    def as_json(self) -> dict[str, Any]:
        return {"vectors": self.vectors, "sizes": [r.__dict__ for r in self.results]}

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
            f"Stores filled with {fill}; queries embedded with MiniLM. Peak RSS is the process's "
            "high-water mark so far (it includes the embedder and every smaller size before).",
        ]
        return "\n".join(lines)


def synthetic_text(rng: random.Random) -> str:
    return (
        f"I {rng.choice(_VERBS)} {rng.choice(_THINGS)} with {rng.choice(_PEOPLE)} in "
        f"{rng.choice(_PLACES)}{rng.choice(_WHEN)}."
    )


def synthetic_query(rng: random.Random) -> str:
    return f"What did I do with {rng.choice(_PEOPLE)} in {rng.choice(_PLACES)}{rng.choice(_WHEN)}?"


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
    sizes: Sequence[int], queries: int, vectors: str, progress: Progress = lambda _: None
) -> ScaleReport:
    progress("Loading the embedding model…")
    model = load_embedder_default()
    results = [_one_size(n, queries, vectors, model, progress) for n in sizes]
    return ScaleReport(vectors, results)


def _one_size(
    n: int, queries: int, vectors: str, model: Embedder, progress: Progress
) -> SizeResult:
    rng = random.Random(n)
    filler: Embedder = model if vectors == "model" else RandomVectors(model.model_id, model.dim)
    with tempfile.TemporaryDirectory(prefix="membank-scale-") as folder:
        runtime = open_runtime(folder, now=NOW)
        try:
            bank = open_bank(runtime, filler)  # type: ignore[arg-type]
            started = time.perf_counter()
            conversation = None
            for start in range(0, n, 1000):
                if start % 500 == 0:
                    conversation = runtime.store.create_conversation(f"c{start}", NOW)
                drafts = [
                    Draft(
                        Kind.TURN if i % 10 else Kind.NOTE,
                        synthetic_text(rng),
                        NOW - timedelta(days=rng.uniform(0, 1000)),
                        conversation.id if conversation else None,
                    )
                    for i in range(start, min(n, start + 1000))
                ]
                with torch_threads(2):
                    bank.remember_many(drafts, NOW)
                if start and start % 20_000 == 0:
                    progress(f"{n:,}: {start:,} memories in {time.perf_counter() - started:.0f} s")
            ingest = n / (time.perf_counter() - started)
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
                query = synthetic_query(rng)
                t0 = time.perf_counter()
                recalled = retriever.recall(query, NOW)
                builder.build(query, NOW, recalled, [])
                latencies.append((time.perf_counter() - t0) * 1000)
            bank.close()
        finally:
            runtime.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = SizeResult(
        n,
        round(ingest, 1),
        percentile(latencies, 50),
        percentile(latencies, 95),
        percentile(embed_ms, 50),
        round(rss_mb, 1),
    )
    progress(f"{n:,}: {result}")
    return result

"""`bench embedders`: the CPU alternatives to torch for MiniLM, in one run: embedding speed on
LoCoMo turns, LoCoMo recall@10 through the app's pipeline, and agreement with torch's vectors.

All variants come from the bundled folder, exported here (nothing is downloaded)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.bench.recall import run_recall, torch_threads
from app.bootstrap import load_embedder
from app.config import Config, EmbedderConfig, cache_dir
from app.transfer.locomo import load_locomo
from models.protocols import Embedder

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Variant:
    name: str
    texts_per_s: float
    ingest_turns_per_s: float
    r10_full: float
    r10_dense: float
    cos_min: float
    cos_mean: float


@dataclass(frozen=True)
class EmbeddersReport:
    variants: list[Variant]
    texts: int
    conversations: int

    def as_json(self) -> dict[str, Any]:
        return {
            "texts": self.texts,
            "conversations": self.conversations,
            "variants": [v.__dict__ for v in self.variants],
        }

    def markdown(self) -> str:
        base = self.variants[0]
        lines = [
            f"Speed: median of 3 rounds embedding {self.texts} LoCoMo turns (batch 64); recall "
            f"and ingest: `bench recall` over {self.conversations} conversations "
            "(stored-at-question-time).",
            "",
            "| embedder | texts/s | ingest turns/s | R@10 full | R@10 dense-only | ΔR@10 full "
            "| cosine to torch min / mean | adopt? |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for v in self.variants:
            delta = v.r10_full - base.r10_full
            ok = v is not base and abs(delta) < 0.005 and v.texts_per_s > base.texts_per_s
            lines.append(
                f"| {v.name} | {v.texts_per_s:.0f} | {v.ingest_turns_per_s:.0f} | "
                f"{v.r10_full:.3f} | {v.r10_dense:.3f} | {delta:+.3f} | "
                f"{v.cos_min:.3f} / {v.cos_mean:.4f} | "
                f"{'-' if v is base else ('yes' if ok else 'no')} |"
            )
        return "\n".join(lines)


def _torch(threads: int = 2) -> Any:
    """sentence-transformers on torch, whatever the app's default backend is."""
    import torch

    torch.set_num_threads(threads)
    return load_embedder(Config(embedder=EmbedderConfig(backend="torch")))


def _torch_int8(base: Embedder) -> Embedder:
    import torch

    embedder: Embedder = _torch()
    # The bench quantizes a private copy.
    module = embedder._model[0]  # type: ignore[attr-defined]  # noqa: SLF001
    module.model = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
        module.model, {torch.nn.Linear}, dtype=torch.qint8
    )
    return embedder


def _variants(base: Embedder, folder: Path, work: Path, progress: Progress) -> dict[str, Embedder]:
    from models.onnx_cache import cached_export
    from models.onnx_embedder import OnnxEmbedder

    progress("Exporting MiniLM to ONNX (fp32 and dynamic int8), locally, or reusing the export…")
    fp32 = cached_export(folder, work, int8=False)
    int8 = cached_export(folder, work, int8=True)
    return {
        "torch fp32 (sentence-transformers, today)": base,
        "torch dynamic int8 (Linear layers)": _torch_int8(base),
        "ONNX Runtime fp32 (local export)": OnnxEmbedder(folder, fp32, base.model_id),
        "ONNX Runtime dynamic int8 (local export)": OnnxEmbedder(folder, int8, base.model_id),
    }


def run_embedders(
    path: Path, limit_conversations: int, texts: int = 1000, progress: Progress = print
) -> EmbeddersReport:
    from models.hub.discovery import resolve_embedder

    base = _torch(threads=2)
    folder = resolve_embedder(None)
    turns = [f"{t.speaker}: {t.text}" for c in load_locomo(path) for _, t in c.turns][:texts]
    # The export the app itself uses (made once, cached).
    variants = _variants(base, folder, cache_dir() / "onnx", progress)
    reference = base.embed(turns)
    speeds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(3):  # interleaved, so load from elsewhere hits every variant alike
        for name, embedder in variants.items():
            with torch_threads(2):
                t0 = time.perf_counter()
                embedder.embed(turns)
                speeds[name].append(len(turns) / (time.perf_counter() - t0))
    out = []
    for name, embedder in variants.items():
        cos = np.sum(embedder.embed(turns) * reference, axis=1)
        report = run_recall(path, limit_conversations=limit_conversations, embedder=embedder)
        modes = report.as_json()["modes"]
        result = Variant(
            name,
            statistics.median(speeds[name]),
            report.turns / max(report.ingest_seconds, 1e-9),
            modes["full"]["categories_1_4"]["R@10"],
            modes["dense-only"]["categories_1_4"]["R@10"],
            float(cos.min()),
            float(cos.mean()),
        )
        progress(str(result))
        out.append(result)
    return EmbeddersReport(out, len(turns), limit_conversations)

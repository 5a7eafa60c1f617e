"""The bundled MiniLM exported to ONNX here gives torch's vectors (fp32) or close ones (int8)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.bench.recall import load_embedder_default
from models.hub.discovery import resolve_embedder
from models.onnx_embedder import OnnxEmbedder, export_onnx

pytestmark = [pytest.mark.model, pytest.mark.slow]

TEXTS = [
    "Caroline: I went to the LGBTQ support group yesterday.",
    "Melanie: That sounds great! How did it go?",
    "short",
    "A much longer sentence about painting, piano lessons and tea tasting on a Sunday " * 3,
]


def test_local_onnx_export_matches_torch(tmp_path: Path) -> None:
    torch_embedder = load_embedder_default()
    folder = resolve_embedder(None)
    fp32 = OnnxEmbedder(folder, export_onnx(folder, tmp_path / "m.onnx"), "minilm", batch_size=2)
    int8 = OnnxEmbedder(folder, export_onnx(folder, tmp_path / "q.onnx", int8=True), "minilm")
    reference = torch_embedder.embed(TEXTS)
    got = fp32.embed(TEXTS)
    assert got.shape == (4, 384) == reference.shape and fp32.dim == 384
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert np.sum(got * reference, axis=1).min() > 0.9999  # same model, same pooling
    quantized = np.sum(int8.embed(TEXTS) * reference, axis=1)
    assert 0.8 < quantized.min() < 0.9999  # close, but int8 weights do change the vectors
    assert fp32.embed([]).shape == (0, 384)

"""The bundled MiniLM exported to ONNX here gives torch's vectors (fp32) or close ones (int8).

The exports come from the session's cache (tests/conftest.py: MEMBANK_CACHE), so the one export
a test session makes is shared with every other test that loads an ONNX backend."""

from __future__ import annotations

import numpy as np
import pytest

from app.config import cache_dir
from models.hub.discovery import resolve_embedder
from models.onnx_cache import cached_export
from models.onnx_embedder import OnnxEmbedder
from tests.realmodels import shared_embedder

pytestmark = [pytest.mark.model, pytest.mark.slow]

TEXTS = [
    "Caroline: I went to the LGBTQ support group yesterday.",
    "Melanie: That sounds great! How did it go?",
    "short",
    "A much longer sentence about painting, piano lessons and tea tasting on a Sunday " * 3,
]


def test_local_onnx_export_matches_torch() -> None:
    torch_embedder = shared_embedder("torch")
    folder = resolve_embedder(None)
    cache = cache_dir() / "onnx"
    fp32 = OnnxEmbedder(folder, cached_export(folder, cache, int8=False), "minilm", batch_size=2)
    int8 = OnnxEmbedder(folder, cached_export(folder, cache, int8=True), "minilm")
    reference = torch_embedder.embed(TEXTS)
    got = fp32.embed(TEXTS)
    assert got.shape == (4, 384) == reference.shape and fp32.dim == 384
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert np.sum(got * reference, axis=1).min() > 0.9999  # same model, same pooling
    quantized = np.sum(int8.embed(TEXTS) * reference, axis=1)
    assert 0.8 < quantized.min() < 0.9999  # close, but int8 weights do change the vectors
    assert fp32.embed([]).shape == (0, 384)

"""The adopted embedder backend with the real MiniLM: it embeds, its ONNX export is made once into
the cache and reused by the next load, and changing the backend re-embeds every memory into a
new index at the next start (the same path as a changed embedding model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import models.onnx_embedder as onnx_mod
from app.bootstrap import load_embedder, load_models, open_runtime
from app.config import Config, EmbedderConfig, cache_dir
from app.engine.settings_apply import apply_settings
from memory.storage.consistency import check
from models.embedder_backend import Backend, backend_model_id
from models.hub.discovery import BUNDLED_EMBEDDER_ID
from models.onnx_cache import cache_key
from models.onnx_embedder import OnnxEmbedder
from tests.realmodels import shared_embedder

pytestmark = [pytest.mark.model, pytest.mark.slow]

ADOPTED: Backend = Config().embedder.backend
TEXTS = [
    "Caroline: I went to the LGBTQ support group yesterday.",
    "Melanie: That sounds great! How did it go?",
    "The spare key is under the blue flowerpot.",
]


def with_backend(config: Config, backend: Backend) -> Config:
    return config.model_copy(update={"embedder": EmbedderConfig(backend=backend)})


def test_the_default_backend_is_onnx() -> None:
    assert ADOPTED.startswith("onnx")  # docs/benchmarks.md, bench embedders: why


def test_the_adopted_backend_embeds_from_one_cached_export(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = shared_embedder()  # the session's one load (and, first in a session, the export)
    assert isinstance(first, OnnxEmbedder)
    assert first.model_id == backend_model_id(BUNDLED_EMBEDDER_ID, ADOPTED)
    entry = cache_dir() / "onnx" / cache_key(Path(first.folder))
    made = {p.name: p.stat().st_mtime_ns for p in entry.glob("*.onnx")}
    assert made, f"no export in {entry}"

    def no_second_export(*_: object, **__: object) -> Path:
        raise AssertionError("exported again instead of reusing the cache")

    monkeypatch.setattr(onnx_mod, "export_onnx", no_second_export)
    monkeypatch.setattr(onnx_mod, "quantize_int8", no_second_export)
    again = load_embedder(Config())  # a restart: the cached file, no torch export
    assert isinstance(again, OnnxEmbedder)  # not the torch fallback (that would log a warning)
    assert {p.name: p.stat().st_mtime_ns for p in entry.glob("*.onnx")} == made

    got = again.embed(TEXTS)
    reference = shared_embedder("torch").embed(TEXTS)
    assert got.shape == reference.shape == (3, 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert np.sum(got * reference, axis=1).min() > 0.85  # the same model's vectors, near enough
    assert np.array_equal(got, first.embed(TEXTS))


def test_a_backend_change_re_embeds_every_memory_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runtime = open_runtime(str(data))
    try:
        runtime.host.update_config(lambda c: with_backend(c, "torch"))
        load_models(runtime)
        for text in TEXTS:
            runtime.curation.remember(text)
        before = runtime.host.models.require_bank().index.name
        applied = apply_settings(runtime, with_backend(runtime.config, ADOPTED))
        assert any("re-embedded" in line for line in applied.at_next_start)
        # Until the restart, the vectors in use stay torch's.
        assert runtime.host.models.require_bank().index.name == before
    finally:
        runtime.close()

    runtime = open_runtime(str(data))
    try:
        load_models(runtime)
        bank = runtime.host.models.require_bank()
        assert bank.embedder.model_id == backend_model_id(BUNDLED_EMBEDDER_ID, ADOPTED)
        assert bank.index.name != before and bank.index.count() == len(TEXTS)
        assert check(runtime.store, bank.index).clean
        found = runtime.curation.search("where is the spare key")
        assert found and found[0].memory.text == TEXTS[2]
    finally:
        runtime.close()

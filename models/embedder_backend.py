"""Which runtime computes a sentence-transformers folder's vectors: torch (sentence-transformers)
or ONNX Runtime on a cached local export (fp32, or dynamic int8). See docs/benchmarks.md,
`bench embedders`, for what each costs and gives."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal, get_args

from models.embedder import SentenceEmbedder
from models.errors import ModelLoadError
from models.onnx_cache import cached_export
from models.protocols import Embedder

log = logging.getLogger(__name__)

Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)


def backend_model_id(model_id: str, backend: Backend) -> str:
    """The name of the vectors `backend` makes with `model_id` (it names the index collection):
    torch keeps the plain name, so vectors of two backends never share a collection."""
    return model_id if backend == "torch" else f"{model_id}+{backend}"


def load_sentence_embedder(
    folder: Path, model_id: str, backend: Backend, cache_dir: Path
) -> Embedder:
    """The embedder for `folder` on `backend`; an ONNX backend that cannot be prepared (export
    or load failed, a model layout it does not reproduce) falls back to torch, logged once."""
    if backend == "torch":
        return SentenceEmbedder(folder, model_id)
    from models.onnx_embedder import OnnxEmbedder

    path: Path | None = None
    try:
        path = cached_export(folder, cache_dir, int8=backend == "onnx-int8")
        return OnnxEmbedder(folder, path, backend_model_id(model_id, backend))
    except Exception as exc:  # noqa: BLE001 - any failure: torch still gives this model's vectors
        if isinstance(exc, ModelLoadError) and path is not None:
            path.unlink(missing_ok=True)  # a damaged cached export: made anew next time
        log.warning(
            "embedder backend %s unavailable for %s (%s: %s); using torch instead",
            backend,
            folder.name,
            type(exc).__name__,
            exc,
        )
    return SentenceEmbedder(folder, model_id)

"""Sentence embeddings with sentence-transformers, offline, from a local model folder."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.errors import ModelLoadError

log = logging.getLogger(__name__)
# Names of the offline variables membank (not the user) set; see models.hub.download.offline_mode.
OFFLINE_DEFAULTS_VAR = "MEMBANK_OFFLINE_DEFAULTS"


def offline_defaults() -> None:
    """Never reach for a model hub: the folder is all there is. (Marked as our default, so
    models.hub.download still honours only what the *user* set.) Before any transformers use."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if name not in os.environ:
            os.environ[name] = "1"
            defaults = os.environ.get(OFFLINE_DEFAULTS_VAR, "")
            os.environ[OFFLINE_DEFAULTS_VAR] = ",".join(filter(None, [defaults, name]))
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


class SentenceEmbedder:
    """Normalized float32 vectors from a sentence-transformers folder (imports torch: slow)."""

    def __init__(self, folder: Path, model_id: str, *, batch_size: int = 64) -> None:
        offline_defaults()
        self.batch_size = batch_size
        self.model_id = model_id
        try:
            from sentence_transformers import SentenceTransformer

            self._model: Any = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any failure here means "cannot load"
            raise ModelLoadError(
                str(folder), f"sentence-transformers could not load it ({exc})"
            ) from exc
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        if not dim:
            raise ModelLoadError(str(folder), "the model does not say its embedding size")
        self._dim = int(dim)
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

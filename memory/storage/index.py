"""The Chroma vector index: a derived copy of SQLite's memories, rebuildable at any time."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from memory.errors import VectorIndexError
from models.private_files import private_dir

log = logging.getLogger(__name__)


def collection_name(model_id: str, dim: int) -> str:
    """One collection per embedding model, so vectors of different models never mix."""
    safe = re.sub(r"[^a-zA-Z0-9._-]", "-", model_id).strip("-._") or "model"
    return f"memories-{safe[:200]}-{dim}"


class ChromaIndex:
    """Our own vectors in Chroma (no embedding function, telemetry off): an embedded Chroma in
    `folder` by default, or the collection `name` on a given `client` (a Chroma server)."""

    def __init__(
        self,
        folder: Path | None,
        model_id: str,
        dim: int,
        *,
        client: Any = None,
        name: str = "",
        location: str = "",
    ) -> None:
        self.location = location or str(folder)
        try:
            if client is None:
                if folder is None:
                    raise ValueError("neither a folder nor a client was given")
                import chromadb
                from chromadb.config import Settings

                private_dir(folder)  # Chroma's own files inside: umask 077 at start-up
                client = chromadb.PersistentClient(
                    path=str(folder),
                    settings=Settings(anonymized_telemetry=False, allow_reset=False),
                )
            self._client: Any = client
            self.name = name or collection_name(model_id, dim)
            self._collection: Any = self._client.get_or_create_collection(
                self.name,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "model_id": model_id, "dim": dim},
            )
        except Exception as exc:  # noqa: BLE001 - chroma raises many types
            raise VectorIndexError(
                f"The memory index in {self.location} could not be opened ({exc}). It holds no "
                "data of its own: run `membank-cli doctor --rebuild-index` to rebuild it from "
                "the store."
            ) from exc
        self.folder = folder
        self.dim = dim
        # A lower bound of the vector count (upserts only raise it; a delete forgets it), so
        # a query need not ask Chroma to count 100k vectors each time (~12 ms there).
        self._at_least = 0

    def upsert(self, ids: Sequence[str], vectors: npt.NDArray[np.float32]) -> None:
        """Add or replace vectors (idempotent, so a retry after a crash never duplicates)."""
        for start in range(0, len(ids), 5000):
            self._collection.upsert(
                ids=list(ids[start : start + 5000]), embeddings=vectors[start : start + 5000]
            )

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._at_least = 0
            self._collection.delete(ids=list(ids))

    def query(self, vector: npt.NDArray[np.float32], n: int) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the `n` nearest vectors, best first."""
        return self.query_many([vector], n)[0]

    def query_many(
        self, vectors: Sequence[npt.NDArray[np.float32]], n: int
    ) -> list[list[tuple[str, float]]]:
        """`query` for each of `vectors`, in one call to the index."""
        count = self._at_least if self._at_least >= n else self.count()
        if count == 0:
            return [[] for _ in vectors]
        result = self._collection.query(
            query_embeddings=list(vectors), n_results=min(n, count), include=["distances"]
        )
        return [
            [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]
            for ids, distances in zip(result["ids"], result["distances"], strict=True)
        ]

    def close(self) -> None:
        """Release the folder (Chroma caches one system per path in the process otherwise)."""
        close = getattr(self._client, "close", None)
        if close is not None:
            close()

    def drop(self) -> None:
        """Delete this model's collection (after a switch to another embedder)."""
        self._client.delete_collection(self._collection.name)

    def count(self) -> int:
        count = int(self._collection.count())
        self._at_least = count
        return count

    def vectors(self, ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The stored vectors of `ids` (those present), for an archive export."""
        out: dict[str, npt.NDArray[np.float32]] = {}
        for start in range(0, len(ids), 5000):
            got = self._collection.get(ids=list(ids[start : start + 5000]), include=["embeddings"])
            for memory_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                out[memory_id] = np.asarray(vector, dtype=np.float32)
        return out

    def ids(self) -> set[str]:
        result = self._collection.get(include=[])
        return set(result["ids"])


def drop_index_folder(folder: Path) -> None:
    """Delete an index folder (e.g. a damaged one) so the next ChromaIndex starts empty.
    Chroma caches one client per path in the process, a broken one too: forget those first."""
    import shutil

    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    shutil.rmtree(folder, ignore_errors=True)

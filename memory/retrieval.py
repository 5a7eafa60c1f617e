"""Hybrid recall: dense (Chroma) and keyword (FTS5 bm25) search fused, weighted by retention."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from memory.decay import DecayPolicy
from memory.index import ChromaIndex
from memory.records import Memory, Recalled, State
from memory.store import SQLiteStore


@dataclass(frozen=True)
class RecallSettings:
    k: int = 6
    candidates: int = 50
    rrf_k: int = 60
    # A dense hit counts as relevant at or above this cosine similarity ...
    min_similarity: float = 0.35
    # ... a keyword hit when it is among the best few and not hopelessly far in meaning.
    keyword_top: int = 3
    keyword_min_similarity: float = 0.15


def rrf(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    """Reciprocal-rank fusion: sum over rankings of 1 / (k + rank), rank starting at 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


class HybridRetriever:
    def __init__(
        self,
        store: SQLiteStore,
        index: ChromaIndex,
        embed: Callable[[list[str]], npt.NDArray[np.float32]],
        decay: DecayPolicy,
        settings: RecallSettings | None = None,
    ) -> None:
        self.store = store
        self.index = index
        self.embed = embed
        self.decay = decay
        self.settings = settings or RecallSettings()

    def recall(self, query: str, now: datetime, k: int | None = None) -> list[Recalled]:
        """The memories relevant to `query`, best first; faded and superseded ones left out."""
        s = self.settings
        k = k or s.k
        vector = self.embed([query])[0]
        dense = self.index.query(vector, s.candidates)
        keyword = self.store.keyword_search(query, s.candidates)
        similarity = dict(dense)
        keyword_rank = {mid: rank for rank, (mid, _) in enumerate(keyword, start=1)}
        fused = rrf([[mid for mid, _ in dense], [mid for mid, _ in keyword]], s.rrf_k)
        memories = self.store.memories_by_ids(list(fused))
        # Keyword-only hits have no similarity from the index; compute it so they can be judged.
        missing = [mid for mid in fused if mid not in similarity and mid in memories]
        if missing:
            vectors = self.embed([memories[mid].text for mid in missing])
            for mid, v in zip(missing, vectors, strict=True):
                similarity[mid] = float(np.dot(vector, v))
        results: list[Recalled] = []
        for mid, score in fused.items():
            memory = memories.get(mid)
            if memory is None or not self._recallable(memory, now):
                continue
            sim = similarity.get(mid)
            rank = keyword_rank.get(mid)
            if not self._relevant(sim, rank):
                continue
            retention = self.decay.retention(memory, now)
            results.append(
                Recalled(memory, score * self.decay.ranking_factor(retention), sim, retention, rank)
            )
        results.sort(key=lambda r: r.score, reverse=True)
        return results[:k]

    def _recallable(self, memory: Memory, now: datetime) -> bool:
        if memory.state is not State.ACTIVE:
            return False
        return not self.decay.is_faded(memory, now)

    def _relevant(self, sim: float | None, keyword_rank: int | None) -> bool:
        s = self.settings
        if sim is not None and sim >= s.min_similarity:
            return True
        return (
            keyword_rank is not None
            and keyword_rank <= s.keyword_top
            and (sim is None or sim >= s.keyword_min_similarity)
        )

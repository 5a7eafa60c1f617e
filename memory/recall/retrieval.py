"""Hybrid recall: dense (Chroma) and keyword (FTS5 bm25) search fused, time- and speaker-aware,
weighted by retention, near-duplicates collapsed, within a token budget."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from memory.graph.pagerank import graph_ranking
from memory.lifecycle.decay import DecayPolicy
from memory.recall.cued import SUMMARY_KINDS, cue_words, lead_to_sources
from memory.recall.fusion import (
    named_speakers,
    propagate,
    ranked,
    rrf,
    said_first,
    select,
    speaker_of,
    weighted_rrf,
    without_names,
)
from memory.recall.neighbours import memories_between, neighbour_turns
from memory.recall.statements import one_per_statement, one_rank_per_statement
from memory.recall.timeparse import TimeRange, TimeResolver
from memory.recall.topics import TopicVectors
from memory.records import Memory, Recalled, State
from memory.storage.index import ChromaIndex
from memory.storage.store import SQLiteStore

__all__ = ["HybridRetriever", "RecallSettings", "rrf"]


@dataclass(frozen=True)
class RecallSettings:
    """Weights were tuned on LoCoMo (docs/benchmarks.md); keyword search is the stronger signal
    with the small default embedder, so it weighs more."""

    k: int = 6
    candidates: int = 50  # from the vector index (filtered after the search, never before)
    keyword_candidates: int = 100
    rrf_k: int = 20
    dense_weight: float = 0.3  # 0: keyword-only
    keyword_weight: float = 1.0  # 0: dense-only
    # A keyword hit on a turn also counts, this much, for the turn after it and the one before.
    to_next_turn: float = 0.5
    to_previous_turn: float = 0.3
    # Memories by a speaker the query names are boosted: score *= 1 + speaker_boost.
    speaker_boost: float = 0.5
    # A time expression in the query ("last week"): memories of that span join the candidates
    # (as a third ranking) and are boosted; `time_slack_days` widens the span either side.
    time_weight: float = 0.5
    time_boost: float = 1.0
    time_slack_days: float = 1.0
    duplicate_threshold: float = 0.9  # word-set Jaccard at or above which two texts are one
    token_budget: int | None = 1200  # estimated tokens of all recalled texts together
    # Relevance floors: without them recall always returns its best k, related or not.
    floors: bool = True
    # A dense hit counts as relevant at or above this cosine similarity ...
    min_similarity: float = 0.35
    # ... a keyword hit when it is among the best few and not hopelessly far in meaning.
    keyword_top: int = 3
    keyword_min_similarity: float = 0.15
    # Cued recall: a faded memory comes back only on a strong cue, a dense match this close ...
    cue_similarity: float = 0.5
    # ... or a keyword hit this high, not hopelessly far in meaning (keyword_min_similarity).
    cue_keyword_top: int = 10
    # ... or it holds this share of the query's meaningful words (speaker names aside) ...
    cue_coverage: float = 0.5
    # ... or it is among the `cue_top` best matches of all (fused, before retention counts).
    cue_top: int = 0
    # A recalled summary or fact leads to the turns it came from: the best-matching source turns
    # of the top `lead_top` derived memories join, at `lead_similarity` or closer to the query.
    lead_top: int = 3
    lead_similarity: float = 0.35
    # The memory graph (memory.graph): the question's entities seed a personalized PageRank;
    # its best `graph_candidates` memories join the fusion as one more ranking (0: off; the
    # app's default is 0.2, config memory.graph_weight; docs/benchmarks.md).
    graph_weight: float = 0.2
    graph_candidates: int = 50
    # A memory the graph reaches from an entity the question names, among its best
    # `graph_top`, is relevant by that link though it shares no word with the question (the
    # floors would drop it otherwise).
    graph_top: int = 3
    # A speaker the question names seeds the walk at this share of its weight (0: not at all).
    graph_speaker_seed: float = 0.0
    # The best `graph_memory_seeds` hits of the other searches seed the walk too (HippoRAG 2's
    # passage nodes), weighing `graph_memory_share` against the question's entities. Off: over
    # all ten LoCoMo conversations they cost multi-hop R@10 (0.457 -> 0.436).
    graph_memory_seeds: int = 0
    graph_memory_share: float = 1.0
    # The dense search ranks with the question's vector moved this share of the way towards
    # its nearest topic of life (memory.recall.topics; 0: the question's own vector). The
    # similarities the floors judge by stay the question's own.
    topic_pull: float = 0.15
    # When the question names a speaker, the dense ranking puts that speaker's turns first.
    dense_speaker_first: bool = True


@dataclass
class _Candidates:
    similarity: dict[str, float]
    keyword_rank: dict[str, int]
    fused: dict[str, float]
    memories: dict[str, Memory]
    speakers: set[str]
    when: TimeRange | None
    in_span: set[str] = field(default_factory=set)
    vector: npt.NDArray[np.float32] | None = None
    best: set[str] = field(default_factory=set)
    cue_words: frozenset[str] = frozenset()
    graph_rank: dict[str, int] = field(default_factory=dict)
    # A fact that stands for a message (memory.recall.statements) -> that message.
    stands_for: dict[str, str] = field(default_factory=dict)


class HybridRetriever:
    def __init__(
        self,
        store: SQLiteStore,
        index: ChromaIndex,
        embed: Callable[[list[str]], npt.NDArray[np.float32]],
        decay: DecayPolicy,
        settings: RecallSettings | None = None,
        times: TimeResolver | None = None,
    ) -> None:
        self.store = store
        self.index = index
        self.embed = embed
        self.decay = decay
        self.settings = settings or RecallSettings()
        self.times = times or TimeResolver()
        self.topics = TopicVectors(embed)

    def recall(
        self, query: str, now: datetime, k: int | None = None, space: str | None = None
    ) -> list[Recalled]:
        """The memories relevant to `query`, best first; faded and superseded ones left out.

        `space`: only memories of that space or shared by all. Filtered here, after the vector
        search (a Chroma `where` filter is slow, MEASURED.md), on rows already loaded, so a
        store with one space pays nothing."""
        s = self.settings
        k = k or s.k
        found = self._candidates(query, now, space)
        found.best = set(
            sorted(found.fused, key=found.fused.__getitem__, reverse=True)[: s.cue_top]
        )
        found.cue_words = cue_words(without_names(query, found.speakers))
        results: list[Recalled] = []
        for mid, score in found.fused.items():
            memory = found.memories.get(mid)
            if memory is None or memory.state is State.SUPERSEDED:
                continue
            sim = found.similarity.get(mid)
            rank = found.keyword_rank.get(mid)
            if memory.state is State.FADED and not self._strong_cue(memory, sim, rank, found):
                continue  # faded: out of ordinary recall, back on a strong cue
            # A summary of the very period the question names is relevant by its time alone.
            of_period = mid in found.in_span and memory.kind in SUMMARY_KINDS
            linked = found.graph_rank.get(mid, s.graph_top + 1) <= s.graph_top
            if s.floors and not of_period and not linked and not self._relevant(sim, rank):
                continue
            retention = self.decay.retention(memory, now)
            score *= self.decay.ranking_factor(retention) * self._boost(memory, found)
            results.append(Recalled(memory, score, sim, retention, rank))
        results.sort(key=lambda r: r.score, reverse=True)
        results = lead_to_sources(
            self.store,
            self.index,
            self.decay,
            found.vector,
            results,
            now,
            top=s.lead_top,
            k=k,
            min_similarity=s.lead_similarity,
        )
        return select(
            one_per_statement(self.store, results),
            _text,
            k=k,
            budget=s.token_budget,
            duplicate_threshold=s.duplicate_threshold,
        )

    def time_range(self, query: str, now: datetime) -> TimeRange | None:
        return self.times.resolve(query, now)

    def _candidates(self, query: str, now: datetime, space: str | None = None) -> _Candidates:
        s = self.settings
        when = self.times.resolve(query, now)
        topic = self.times.without_time(query) if when else query
        similarity: dict[str, float] = {}
        dense_ids: list[str] = []
        vector: npt.NDArray[np.float32] | None = None
        if s.dense_weight > 0 or s.floors:
            vector = self.embed([query])[0]
            if s.topic_pull > 0:
                moved = self.topics.towards(vector, s.topic_pull)
                dense, ranks = self.index.query_many([vector, moved], s.candidates)
            else:
                dense = ranks = self.index.query(vector, s.candidates)
            similarity = dict(dense)
            dense_ids = [mid for mid, _ in ranks] if s.dense_weight > 0 else []
        memories = self.store.memories_by_ids(dense_ids)
        keyword_ids: list[str] = []
        speakers: set[str] = set()
        if s.keyword_weight > 0:
            keyword = self.store.keyword_search(topic, s.keyword_candidates, faded=True)
            if not dense_ids:  # keyword-only: the speakers come from its own first hits
                memories.update(self.store.memories_by_ids([mid for mid, _ in keyword]))
            speakers = named_speakers(query, _speakers(memories.values()))
            if speakers:
                keyword = self.store.keyword_search(
                    without_names(topic, speakers), s.keyword_candidates, faded=True
                )
            keyword_ids = self._with_context(keyword, memories)
        else:
            speakers = named_speakers(query, _speakers(memories.values()))
        if s.dense_speaker_first and speakers:
            dense_ids = said_first(dense_ids, memories, speakers)
        in_span: list[str] = []
        if when is not None and s.time_weight > 0:
            slack = timedelta(days=s.time_slack_days)
            span = memories_between(self.store, when.start - slack, when.end + slack, s.candidates)
            memories.update((m.id, m) for m in span)
            in_span = [m.id for m in span]
        missing = {*dense_ids, *keyword_ids, *in_span} - memories.keys()
        memories.update(self.store.memories_by_ids(sorted(missing)))
        if space is not None:  # ranks and floors count only memories this space may see
            seen = {mid for mid, m in memories.items() if m.space == space or m.shared}
            dense_ids = [mid for mid in dense_ids if mid in seen]
            keyword_ids = [mid for mid in keyword_ids if mid in seen]
            in_span = [mid for mid in in_span if mid in seen]
        (dense_ids, keyword_ids, in_span), stands_for = one_rank_per_statement(
            self.store, [dense_ids, keyword_ids, in_span], memories, similarity
        )
        rankings = [
            (dense_ids, s.dense_weight),
            (keyword_ids, s.keyword_weight),
            (in_span, s.time_weight),
        ]
        fused = weighted_rrf(rankings, s.rrf_k)
        graph_ids: list[str] = []
        graph_rank: dict[str, int] = {}
        if s.graph_weight > 0:
            best = sorted(fused, key=fused.__getitem__, reverse=True)[: s.graph_memory_seeds]
            graph_ids, reached = graph_ranking(
                self.store,
                topic,
                s.graph_candidates,
                s.graph_speaker_seed,
                {mid: fused[mid] for mid in best},
                s.graph_memory_share,
            )
            new = [mid for mid in graph_ids if mid not in memories]
            memories.update(self.store.memories_by_ids(new))
            graph_ids = [
                mid
                for mid in graph_ids
                if mid in memories
                and (space is None or memories[mid].space == space or memories[mid].shared)
            ]
            fused = weighted_rrf([*rankings, (graph_ids, s.graph_weight)], s.rrf_k)
            linked = [mid for mid in graph_ids if mid in reached]
            graph_rank = {mid: rank for rank, mid in enumerate(linked, start=1)}
        keyword_rank = {mid: rank for rank, mid in enumerate(keyword_ids, start=1)}
        if s.floors and vector is not None:
            self._judge_keyword_hits(vector, keyword_ids, similarity, memories)
        found = _Candidates(
            similarity, keyword_rank, fused, memories, speakers, when, set(in_span), vector
        )
        found.graph_rank = graph_rank
        found.stands_for = stands_for
        return found

    def _with_context(
        self, keyword: list[tuple[str, float]], memories: dict[str, Memory]
    ) -> list[str]:
        """Keyword hits re-ranked after each lent part of its score to its neighbouring turns."""
        s = self.settings
        if not keyword:
            return []
        # bm25 is lower-is-better and negative; flip it so larger means better.
        scores = {mid: -rank for mid, rank in keyword}
        if s.to_next_turn <= 0 and s.to_previous_turn <= 0:
            return ranked(scores)
        hits = self.store.memories_by_ids(list(scores))
        memories.update(hits)
        neighbours = neighbour_turns(self.store, list(hits.values()))
        spread = propagate(scores, neighbours, s.to_next_turn, s.to_previous_turn)
        return ranked(spread)[: s.keyword_candidates]

    def _judge_keyword_hits(
        self,
        vector: npt.NDArray[np.float32],
        keyword_ids: list[str],
        similarity: dict[str, float],
        memories: dict[str, Memory],
    ) -> None:
        """The floors judge a top keyword hit by its meaning too (its stored vector, or embedded
        now if the index does not have it yet)."""
        top = [
            mid
            for mid in keyword_ids[: self.settings.keyword_top]
            if mid not in similarity and mid in memories
        ]
        if not top:
            return
        stored = self.index.vectors(top)
        for mid, v in stored.items():
            similarity[mid] = float(np.dot(vector, v))
        unindexed = [mid for mid in top if mid not in stored]
        if unindexed:
            vectors = self.embed([memories[mid].text for mid in unindexed])
            for mid, v in zip(unindexed, vectors, strict=True):
                similarity[mid] = float(np.dot(vector, v))

    def _boost(self, memory: Memory, found: _Candidates) -> float:
        s = self.settings
        factor = 1.0
        said = found.memories.get(found.stands_for.get(memory.id, ""), memory)
        if found.speakers and speaker_of(said.text) in found.speakers:
            factor *= 1.0 + s.speaker_boost  # a fact speaks for its message's speaker
        if found.when is not None:
            days = found.when.distance_days(memory.event_time)
            if days <= s.time_slack_days:
                factor *= 1.0 + s.time_boost
        return factor

    def _strong_cue(
        self, memory: Memory, sim: float | None, rank: int | None, found: _Candidates
    ) -> bool:
        """Cued recall: a faded memory the query matches closely, by meaning or by its words,
        or a faded summary of the very period the query names (old periods stay reachable)."""
        s = self.settings
        if sim is not None and sim >= s.cue_similarity:
            return True
        if memory.id in found.best:
            return True
        if found.cue_words and s.cue_coverage <= 1.0:
            have = cue_words(memory.text)
            if len(found.cue_words & have) >= s.cue_coverage * len(found.cue_words):
                return True
        if memory.id in found.in_span and memory.kind in SUMMARY_KINDS:
            return True
        return (
            rank is not None
            and rank <= s.cue_keyword_top
            and (sim is None or sim >= s.keyword_min_similarity)
        )

    def _relevant(self, sim: float | None, keyword_rank: int | None) -> bool:
        s = self.settings
        if sim is not None and sim >= s.min_similarity:
            return True
        return (
            keyword_rank is not None
            and keyword_rank <= s.keyword_top
            and (sim is None or sim >= s.keyword_min_similarity)
        )


def _text(item: Recalled) -> str:
    return item.memory.text


def _speakers(memories: Iterable[Memory]) -> set[str]:
    out: set[str] = set()
    for memory in memories:
        speaker = speaker_of(memory.text)
        if speaker:
            out.add(speaker)
    return out

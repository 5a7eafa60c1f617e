"""Personalized PageRank over the memory graph, seeded by the question's entities (HippoRAG 2).

The walk runs on the part of the graph within two hops of the seeds (seed entities, their
memories, those memories' other entities and their memories), so its cost follows what the
question names, not the size of the store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from memory.graph.extract import extract, normalise
from memory.storage.store import SQLiteStore

Edge = tuple[str, str, float]

# Edge weights: a memory naming an entity; the speaker of a turn (every turn of theirs has it,
# so it says little); a memory linked to an earlier one by an entity; a fact to its sources.
MENTION, SPEAKER, NEIGHBOUR, DERIVED = 1.0, 0.2, 0.5, 0.5


def personalized_pagerank(
    edges: Sequence[Edge],
    seeds: Mapping[str, float],
    *,
    damping: float = 0.5,
    iterations: int = 30,
) -> dict[str, float]:
    """Scores of every node on an undirected weighted graph: the stationary distribution of a
    walk that restarts at the seeds (in proportion to their weights) with probability
    1 - damping at each step. Seeds not on any edge keep their restart mass."""
    nodes: dict[str, int] = {}
    for a, b, _ in edges:
        nodes.setdefault(a, len(nodes))
        nodes.setdefault(b, len(nodes))
    for s in seeds:
        nodes.setdefault(s, len(nodes))
    n = len(nodes)
    total = sum(w for w in seeds.values() if w > 0)
    if n == 0 or total <= 0:
        return {}
    restart = np.zeros(n)
    for s, w in seeds.items():
        if w > 0:
            restart[nodes[s]] = w / total
    if edges:
        src = np.array([nodes[a] for a, _, _ in edges] + [nodes[b] for _, b, _ in edges])
        dst = np.array([nodes[b] for _, b, _ in edges] + [nodes[a] for a, _, _ in edges])
        weight = np.array([w for _, _, w in edges] * 2, dtype=float)
        out = np.bincount(src, weights=weight, minlength=n)
        share = weight / out[src]
    p = restart.copy()
    for _ in range(iterations):
        spread = np.bincount(dst, weights=p[src] * share, minlength=n) if edges else 0.0
        # A node with no edges hands its walk back to the seeds (no mass leaks away).
        dangling = p[out == 0].sum() if edges else p.sum()
        p = (1 - damping) * restart + damping * (spread + dangling * restart)
    return {node: float(p[i]) for node, i in nodes.items()}


def question_seeds(
    store: SQLiteStore, question: str, speaker_weight: float = 0.0
) -> dict[int, float]:
    """Entities the question names, by any alias (word n-grams up to four words, and the
    names the extractor finds), each weighted by its specificity 1 / ln(e + memories naming
    it), as HippoRAG 2 weights its seed nodes: a rare name says more than a common one."""
    words = normalise(question).split()
    grams = {" ".join(words[i : i + n]) for n in range(1, 5) for i in range(len(words) - n + 1)}
    grams.update(normalise(m.name) for m in extract(question) if m.name)
    grams.discard("")
    if not grams:
        return {}
    found: dict[int, float] = {}
    grams_list = sorted(grams)
    for start in range(0, len(grams_list), 400):
        chunk = grams_list[start : start + 400]
        rows = store.rows(
            "SELECT a.entity_id AS id, (SELECT count(*) FROM memory_entities me "
            "WHERE me.entity_id = a.entity_id) AS n, EXISTS (SELECT 1 FROM memory_entities me "
            "WHERE me.entity_id = a.entity_id AND me.role = 'speaker') AS speaks "
            f"FROM entity_aliases a WHERE a.alias IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for r in rows:
            # A speaker of the conversation weighs `speaker_weight` as a seed: every turn of
            # theirs names them, so the walk spreads over all of it (recall boosts them too).
            weight = 1.0 / math.log(math.e + int(r["n"]))
            if r["speaks"]:
                weight *= speaker_weight
            if weight > 0:
                found[int(r["id"])] = weight
    return found


def subgraph(
    store: SQLiteStore,
    seeds: Sequence[int],
    *,
    memory_seeds: Sequence[str] = (),
    per_entity: int = 100,
    hop_limit: int = 100,
) -> list[Edge]:
    """The edges within two hops of the seed entities. Node names: "e<id>" for entities,
    "m<id>" for memories. A seed brings its `per_entity` latest memories. An entity named by
    more than `hop_limit` memories is not walked through on the second hop (a speaker, the
    user's own city: everything would be near). Both bound a walk's cost in a big store."""
    if not seeds and not memory_seeds:
        return []
    edges: list[Edge] = []
    first = _memories_of(store, seeds, per_entity)
    memory_ids = sorted({mid for mid, _, _ in first} | set(memory_seeds))
    first_ids = set(memory_ids)
    edges += [(f"e{e}", f"m{m}", SPEAKER if role == "speaker" else MENTION) for m, e, role in first]
    seen = set(seeds)
    hop: list[tuple[str, int, str]] = []
    for start in range(0, len(memory_ids), 500):
        chunk = memory_ids[start : start + 500]
        hop += [
            (str(r["memory_id"]), int(r["entity_id"]), str(r["role"]))
            for r in store.rows(
                "SELECT memory_id, entity_id, role FROM memory_entities WHERE memory_id IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            )
            if int(r["entity_id"]) not in seen
        ]
    degree = _degrees(store, sorted({e for _, e, _ in hop}), hop_limit)
    hop = [h for h in hop if degree.get(h[1], 0) <= hop_limit]
    second = sorted({e for _, e, _ in hop})
    edges += [(f"e{e}", f"m{m}", SPEAKER if r == "speaker" else MENTION) for m, e, r in hop]
    edges += [
        (f"e{e}", f"m{m}", SPEAKER if role == "speaker" else MENTION)
        for m, e, role in _memories_of(store, second, hop_limit)
        if m not in first_ids
    ]
    edges += _memory_links(store, memory_ids)
    return edges


def _degrees(store: SQLiteStore, entities: Sequence[int], cap: int) -> dict[int, int]:
    """How many memories name each entity, counted up to `cap` + 1 (more says only "too many";
    counting every mention of a common entity made a walk's cost grow with the store)."""
    out: dict[int, int] = {}
    for start in range(0, len(entities), 200):
        chunk = list(entities[start : start + 200])
        union = " UNION ALL ".join(
            f"SELECT {int(e)} AS entity_id, (SELECT count(*) FROM (SELECT 1 FROM memory_entities "
            f"WHERE entity_id = {int(e)} LIMIT {int(cap) + 1})) AS n"
            for e in chunk
        )
        for r in store.rows(union):
            out[int(r["entity_id"])] = int(r["n"])
    return out


def _memories_of(
    store: SQLiteStore, entities: Sequence[int], limit: int
) -> list[tuple[str, int, str]]:
    out: list[tuple[str, int, str]] = []
    for entity in entities:
        rows = store.rows(
            "SELECT me.memory_id, me.role FROM memory_entities me JOIN memories m "
            "ON m.id = me.memory_id WHERE me.entity_id = ? AND m.state != 'superseded' "
            "ORDER BY me.event_time DESC, me.num DESC LIMIT ?",
            [entity, limit],
        )
        out += [(str(r["memory_id"]), entity, str(r["role"])) for r in rows]
    return out


def _memory_links(store: SQLiteStore, memory_ids: Sequence[str]) -> list[Edge]:
    """Memory-memory edges among and out of these memories: shared-entity links and facts or
    summaries to the turns they came from."""
    edges: list[Edge] = []
    for start in range(0, len(memory_ids), 400):
        chunk = list(memory_ids[start : start + 400])
        marks = ",".join("?" * len(chunk))
        for r in store.rows(
            f"SELECT memory_id, other_id FROM memory_neighbours WHERE memory_id IN ({marks}) "
            f"OR other_id IN ({marks})",
            [*chunk, *chunk],
        ):
            edges.append((f"m{r['memory_id']}", f"m{r['other_id']}", NEIGHBOUR))
        for r in store.rows(
            f"SELECT memory_id, source_id FROM memory_links WHERE relation = 'derived_from' "
            f"AND (memory_id IN ({marks}) OR source_id IN ({marks}))",
            [*chunk, *chunk],
        ):
            edges.append((f"m{r['memory_id']}", f"m{r['source_id']}", DERIVED))
    return edges


def graph_ranking(
    store: SQLiteStore,
    question: str,
    limit: int,
    speaker_weight: float = 0.0,
    memory_seeds: Mapping[str, float] | None = None,
    memory_share: float = 1.0,
) -> tuple[list[str], set[str]]:
    """Memory ids best first by personalized PageRank from the question's entities and, as
    HippoRAG 2 seeds its passages too, from `memory_seeds` (the best hits of the other searches,
    by score): together they weigh `memory_share` against the entities' 1. Returns the ranking
    (empty when there is nothing to start from) and the memories within two hops of the
    question's entities (what the question names leads to them)."""
    entities = question_seeds(store, question, speaker_weight)
    memories = {m: w for m, w in (memory_seeds or {}).items() if w > 0}
    if not entities and not memories:
        return [], set()
    named = subgraph(store, sorted(entities))
    reached = {n[1:] for a, b, _ in named for n in (a, b) if n.startswith("m")}
    # One edge once, though both walks found it.
    edges = list(dict.fromkeys(named + subgraph(store, [], memory_seeds=sorted(memories))))
    seeds = _normalised({f"e{e}": w for e, w in entities.items()}, 1.0)
    seeds.update(_normalised({f"m{m}": w for m, w in memories.items()}, memory_share))
    scores = personalized_pagerank(edges, seeds)
    ranked = [(node[1:], s) for node, s in scores.items() if node.startswith("m") and s > 0]
    ranked.sort(key=lambda item: item[1], reverse=True)
    return [mid for mid, _ in ranked[:limit]], reached


def _normalised(weights: Mapping[str, float], total: float) -> dict[str, float]:
    mass = sum(weights.values())
    return {k: total * w / mass for k, w in weights.items()} if mass > 0 else {}

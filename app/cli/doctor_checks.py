"""The data part of `membank-cli doctor`: the consistency report, and `--repair` healing it."""

from __future__ import annotations

from typing import Any

from app.bootstrap import Runtime, load_embedder, open_bank
from memory.errors import VectorIndexError
from memory.graph.store import MemoryGraph
from memory.storage.consistency import ConsistencyReport, check
from memory.storage.index import ChromaIndex
from memory.storage.repair import repair_index, repair_store

VECTOR_CHECKS = frozenset({"vectors_missing", "vector_orphans"})


def _index_summary(report: ConsistencyReport) -> dict[str, Any]:
    found = {f.check: f.count for f in report.findings}
    missing, orphans = found.get("vectors_missing", 0), found.get("vector_orphans", 0)
    return {
        "indexed": report.counts.get("memories", 0) - missing,
        "missing": missing,
        "orphans": orphans,
        "consistent": not (missing or orphans or "index_unreadable" in found),
    }


def _problem(detail: str, repair: str) -> str:
    if "restore" in repair:
        return f"{detail}. Repair: {repair}."
    return f"{detail}. Run `membank-cli doctor --repair` to {repair}."


def _graph(runtime: Runtime, out: dict[str, Any], *, repair: bool, rebuild: bool) -> list[str]:
    """The memory graph: memories not linked yet (start-up links them too) and entities no
    memory names. `repair` links and prunes; `rebuild` (--rebuild-index) builds it anew."""
    graph = MemoryGraph(runtime.store)
    found = graph.check()
    out["graph"] = found
    done: list[str] = []
    if rebuild:
        linked = graph.rebuild()
        done.append(
            f"Rebuilt the memory graph from {linked} memories (renames and merges made "
            "by hand are redone by the rules)."
        )
    elif repair and (found["unlinked_memories"] or found["orphans"]):
        linked, pruned = graph.link_pending(), graph.prune()
        done.append(
            f"Linked {linked} memories into the memory graph; removed {pruned} entities "
            "no memory names."
        )
    if done:
        out["graph_after_repair"] = graph.check()
    return done


def check_data(runtime: Runtime, *, repair: bool, rebuild: bool) -> dict[str, Any]:
    """Check everything. The vectors are healed always (as start-up does); the rest, and an
    unreadable index folder, with `repair`. Returns report keys: index, consistency, problems
    and, when something was done, repairs and after_repair."""
    embedder = load_embedder(runtime.config)
    error = ""
    try:
        index: ChromaIndex | None = ChromaIndex(
            runtime.paths.index_dir, embedder.model_id, embedder.dim
        )
    except VectorIndexError as exc:
        index, error = None, str(exc.__cause__ or exc)
    before = check(runtime.store, index, error)
    if index is not None:
        index.close()
    out: dict[str, Any] = {"index": _index_summary(before), "consistency": before.as_json()}
    repairs: list[str] = []
    if repair:
        repairs += repair_store(runtime.store, before, runtime.clock.now())
    if rebuild and index is not None:
        runtime.store.set_indexed(sorted(runtime.store.all_memory_ids()), indexed=False)
        repairs.append("Marked every memory for re-indexing.")
    after = before
    if (index is not None and (before.names() & VECTOR_CHECKS or rebuild)) or repair or rebuild:
        bank, done, fixed = repair_index(
            before, runtime.paths.index_dir, lambda: open_bank(runtime, embedder)
        )
        repairs += done
        out["index"]["repaired"] = {"reindexed": fixed.missing, "orphans_removed": fixed.orphans}
        after = check(runtime.store, bank.index)
        bank.close()
    repairs += _graph(runtime, out, repair=repair, rebuild=rebuild)
    if repairs:
        out["repairs"] = repairs
        out["after_repair"] = after.as_json()
    out["problems"] = [_problem(f.detail, f.repair) for f in after.findings]
    return out

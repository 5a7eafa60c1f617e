"""The consistency checker: is the store sound, and are its derived copies (the FTS5 keyword
index, the Chroma vectors) in step with it? Read-only; `memory.storage.repair` heals what it
finds."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from memory.storage.index import ChromaIndex
from memory.storage.store import SQLiteStore

# Checks the start-up heal fixes on its own (vectors via reconcile, stale job runs in
# open_runtime); all the others must be clean after any crash without a repair, because the
# writes they cover are single SQLite transactions.
HEALED_AT_START = frozenset({"vectors_missing", "vector_orphans", "jobs_left_running"})


@dataclass(frozen=True)
class Finding:
    check: str  # a stable name, e.g. "fts_out_of_step"
    count: int
    detail: str  # what is wrong, in plain words
    repair: str  # what `membank-cli doctor --repair` does about it


@dataclass
class ConsistencyReport:
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.findings

    def names(self) -> set[str]:
        return {f.check for f in self.findings}

    def add(self, check: str, count: int, detail: str, repair: str) -> None:
        if count:
            self.findings.append(Finding(check, count, detail, repair))

    def as_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "checked": self.checked,
            "counts": self.counts,
            "findings": [f.__dict__ for f in self.findings],
        }


def check(
    store: SQLiteStore, index: ChromaIndex | None, index_error: str = ""
) -> ConsistencyReport:
    """Run every check. `index` None with `index_error`: the Chroma folder could not be opened."""
    report = ConsistencyReport()
    _sqlite(store, report)
    if "sqlite_integrity" in report.names():
        return report  # the other checks would read a damaged file
    _fts(store, report)
    _derived(store, report)
    _links(store, report)
    _jobs(store, report)
    _vectors(store, index, index_error, report)
    return report


def _scalar(store: SQLiteStore, sql: str) -> int:
    return int(next(iter(store.rows(sql)[0].values())))


def _sqlite(store: SQLiteStore, report: ConsistencyReport) -> None:
    report.checked.append("sqlite_integrity")
    try:
        lines = [next(iter(r.values())) for r in store.rows("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        lines = [str(exc)]
    if lines != ["ok"]:
        report.add(
            "sqlite_integrity",
            len(lines),
            f"SQLite reports damage in {store.path}: {'; '.join(lines[:3])}",
            "none: restore from a backup archive (`membank-cli backup restore FILE`)",
        )


def fts_rowids(store: SQLiteStore) -> tuple[set[int], set[int]]:
    """(memory rowids, rowids the keyword index holds a document for)."""
    nums = {r["num"] for r in store.rows("SELECT num FROM memories")}
    return nums, {r["id"] for r in store.rows("SELECT id FROM memories_fts_docsize")}


def _fts(store: SQLiteStore, report: ConsistencyReport) -> None:
    report.checked.append("fts")
    nums, indexed = fts_rowids(store)
    out_of_step = len(nums ^ indexed)
    try:
        # For an external-content table this also compares the index with the memories' text.
        with store.transaction() as db:
            db.conn.execute(
                "INSERT INTO memories_fts(memories_fts, rank) VALUES('integrity-check', 1)"
            )
    except sqlite3.DatabaseError as exc:
        out_of_step = max(out_of_step, 1)
        report.counts["fts_error"] = 1
        detail = f"the keyword index fails its integrity check ({exc})"
    else:
        detail = f"{out_of_step} memories are missing from the keyword index or indexed twice"
    report.add("fts_out_of_step", out_of_step, detail, "rebuild the keyword index from the store")


def _derived(store: SQLiteStore, report: ConsistencyReport) -> None:
    report.checked.append("derived_duplicates")
    extra = _scalar(
        store,
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM memories "
        "WHERE derive_key IS NOT NULL GROUP BY derive_key HAVING n > 1)",
    )
    report.add(
        "derived_duplicates",
        extra,
        f"{extra} derived items (summaries, facts, personas) exist twice under one key",
        "keep the oldest of each key, delete the copies (consolidation rebuilds them)",
    )


def dangling(store: SQLiteStore) -> list[dict[str, Any]]:
    """Rows whose foreign key points at a row that does not exist."""
    return store.rows("PRAGMA foreign_key_check")


def _links(store: SQLiteStore, report: ConsistencyReport) -> None:
    report.checked.append("dangling_links")
    rows = dangling(store)
    tables = sorted({r["table"] for r in rows})
    report.add(
        "dangling_links",
        len(rows),
        f"{len(rows)} rows point at missing rows (in {', '.join(tables)})",
        "drop links and usage records to missing memories; give orphan messages a "
        "'Recovered conversation'; clear a memory's missing conversation",
    )


def _jobs(store: SQLiteStore, report: ConsistencyReport) -> None:
    report.checked.append("jobs_left_running")
    n = _scalar(store, "SELECT count(*) FROM job_runs WHERE status = 'running'")
    report.add(
        "jobs_left_running",
        n,
        f"{n} background job runs were cut off (the app was killed or crashed)",
        "mark them interrupted (their work is redone by the next run)",
    )


def _vectors(
    store: SQLiteStore, index: ChromaIndex | None, index_error: str, report: ConsistencyReport
) -> None:
    report.checked.append("vectors")
    in_store = store.all_memory_ids()
    report.counts["memories"] = len(in_store)
    if index is None:
        report.add(
            "index_unreadable",
            1,
            f"the vector index cannot be read ({index_error})",
            "delete the index folder and rebuild every vector from the store",
        )
        return
    try:
        in_index = index.ids()
    except Exception as exc:  # noqa: BLE001 - a damaged Chroma raises many types
        report.add(
            "index_unreadable",
            1,
            f"the vector index cannot be read ({exc})",
            "delete the index folder and rebuild every vector from the store",
        )
        return
    report.counts["vectors"] = len(in_index)
    missing, orphans = len(in_store - in_index), len(in_index - in_store)
    report.add(
        "vectors_missing",
        missing,
        f"{missing} memories have no vector (recall by meaning cannot find them)",
        "embed and index them",
    )
    report.add(
        "vector_orphans",
        orphans,
        f"{orphans} vectors belong to no memory (e.g. forgotten ones)",
        "delete them from the index",
    )

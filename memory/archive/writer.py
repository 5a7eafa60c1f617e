"""Write an archive: export the store (or a date/kind slice of it) as one `.membank` file.

The archive is written to a temporary file in the target folder and renamed over the real name
only when complete, so a crash or a kill never leaves half an archive under that name.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import numpy as np

from memory.archive import crypto as archive_crypto
from memory.archive.format import (
    EMBEDDINGS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    dumps_line,
    to_record,
)
from memory.bank import MemoryBank
from memory.clock import to_db
from memory.errors import ArchiveError
from memory.storage.schema import SCHEMA_VERSION
from memory.storage.store import SQLiteStore

Phase = Callable[[str], None]
PAGE = 5000  # rows (and vectors) read at a time


@dataclass(frozen=True)
class ExportFilter:
    """Memories by event time and kind; messages by time, and only when turns are wanted."""

    since: datetime | None = None
    until: datetime | None = None  # exclusive
    kinds: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return self.since is None and self.until is None and not self.kinds

    @property
    def with_messages(self) -> bool:
        return not self.kinds or "turn" in self.kinds

    def as_json(self) -> dict[str, Any]:
        return {
            "since": to_db(self.since) if self.since else None,
            "until": to_db(self.until) if self.until else None,
            "kinds": list(self.kinds) or None,
        }


@dataclass(frozen=True)
class ExportReport:
    path: Path
    counts: dict[str, int]
    embeddings: bool
    encrypted: bool
    size: int


def _app_version() -> str:
    try:
        return metadata.version("membank")
    except metadata.PackageNotFoundError:
        return "unknown"


def _time_clause(column: str, f: ExportFilter, params: list[Any]) -> str:
    clauses = []
    if f.since is not None:
        clauses.append(f"{column} >= ?")
        params.append(to_db(f.since))
    if f.until is not None:
        clauses.append(f"{column} < ?")
        params.append(to_db(f.until))
    return " AND ".join(clauses) or "1"


@dataclass(frozen=True)
class _Selection:
    """What a filter selects, as ids only: enough to close the slice under references while
    the rows themselves are streamed page by page (a million memories never sit in memory)."""

    memory_where: str
    memory_params: list[Any]
    message_where: str
    message_params: list[Any]
    memory_ids: set[str]
    message_ids: set[int]
    conversation_ids: set[int]


def _select(store: SQLiteStore, f: ExportFilter) -> _Selection:
    params: list[Any] = []
    where = _time_clause("event_time", f, params)
    if f.kinds:
        where += f" AND kind IN ({','.join('?' * len(f.kinds))})"
        params += list(f.kinds)
    message_params: list[Any] = []
    message_where = _time_clause("created_at", f, message_params) if f.with_messages else "0"
    memory_ids = {r["id"] for r in store.rows(f"SELECT id FROM memories WHERE {where}", params)}
    message_ids = {
        r["id"]
        for r in store.rows(f"SELECT id FROM messages WHERE {message_where}", message_params)
    }
    conversations = {r["id"] for r in store.rows("SELECT id FROM conversations")}
    if not f.everything:
        wanted = {
            r["c"]
            for r in store.rows(
                f"SELECT DISTINCT conversation_id AS c FROM messages WHERE {message_where} "
                f"UNION SELECT DISTINCT conversation_id FROM memories WHERE {where}",
                [*message_params, *params],
            )
        }
        conversations &= wanted
    return _Selection(
        where, params, message_where, message_params, memory_ids, message_ids, conversations
    )


def _paged(
    store: SQLiteStore, table: str, where: str, params: list[Any], keys: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    """The rows of `table` in `keys` order, a page at a time (keyset paging)."""
    order = ", ".join(keys)
    last: list[Any] | None = None
    while True:
        after = "" if last is None else f" AND ({order}) > ({', '.join('?' * len(keys))})"
        rows = store.rows(
            f"SELECT * FROM {table} WHERE ({where}){after} ORDER BY {order} LIMIT {PAGE}",  # noqa: S608
            [*params, *(last or [])],
        )
        yield from rows
        if len(rows) < PAGE:
            return
        last = [rows[-1][k] for k in keys]


def _records(
    store: SQLiteStore, f: ExportFilter, sel: _Selection
) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    """Each record type with its records, closed under references: nothing in the slice
    points outside it."""

    def conversations() -> Iterator[dict[str, Any]]:
        for r in _paged(store, "conversations", "1", [], ("id",)):
            if r["id"] in sel.conversation_ids:
                yield to_record("conversations", r)

    def messages() -> Iterator[dict[str, Any]]:
        for r in _paged(store, "messages", sel.message_where, sel.message_params, ("id",)):
            yield to_record("messages", r)

    def memories() -> Iterator[dict[str, Any]]:
        for r in _paged(store, "memories", sel.memory_where, sel.memory_params, ("num",)):
            m = to_record("memories", r)
            # References to rows outside the archive (a deleted chat, a slice) are not portable.
            if m["conversation_id"] not in sel.conversation_ids:
                m["conversation_id"] = None
            m["source_message_ids"] = [i for i in m["source_message_ids"] if i in sel.message_ids]
            if m["superseded_by"] not in sel.memory_ids:
                m["superseded_by"] = None
            yield m

    def links() -> Iterator[dict[str, Any]]:
        for r in _paged(store, "memory_links", "1", [], ("rowid",)):
            if r["memory_id"] in sel.memory_ids and r["source_id"] in sel.memory_ids:
                yield to_record("memory_links", r)

    def replies() -> Iterator[dict[str, Any]]:
        for r in _paged(store, "reply_memories", "1", [], ("message_id", "rank")):
            if r["message_id"] in sel.message_ids and r["memory_id"] in sel.memory_ids:
                yield to_record("reply_memories", r)

    def recalls() -> Iterator[dict[str, Any]]:
        for r in _paged(store, "recall_events", "1", [], ("rowid",)):
            if r["memory_id"] in sel.memory_ids:
                event = to_record("recall_events", r)
                if event["message_id"] not in sel.message_ids:
                    event["message_id"] = None
                yield event

    def jobs() -> Iterator[dict[str, Any]]:
        if f.everything:
            for r in _paged(store, "job_runs", "1", [], ("id",)):
                yield to_record("job_runs", r)

    def audit() -> Iterator[dict[str, Any]]:
        for r in _paged(store, "audit_log", "1", [], ("id",)):
            if f.everything or r["memory_id"] in sel.memory_ids:
                yield to_record("audit_log", r)

    yield "conversations", conversations()
    yield "messages", messages()
    yield "memories", memories()
    yield "memory_links", links()
    yield "reply_memories", replies()
    yield "recall_events", recalls()
    yield "job_runs", jobs()
    yield "audit_log", audit()
    yield "entities", entities(store, sel.memory_ids)


def entities(store: SQLiteStore, memory_ids: set[str] | frozenset[str]) -> Iterator[dict[str, Any]]:
    """The graph's entities that memories of the archive name, with their aliases and those
    memories (1.2). An entity only memories outside a slice name stays out of it."""
    for r in _paged(store, "entities", "1", [], ("id",)):
        edges = [
            [e["memory_id"], e["role"]]
            for e in store.rows(
                "SELECT memory_id, role FROM memory_entities WHERE entity_id = ? "
                "ORDER BY memory_id",
                [r["id"]],
            )
            if e["memory_id"] in memory_ids
        ]
        if not edges:
            continue
        aliases = store.rows(
            "SELECT alias FROM entity_aliases WHERE entity_id = ? ORDER BY alias", [r["id"]]
        )
        yield {
            "id": r["id"],
            "name": r["name"],
            "kind": r["kind"],
            "created_at": r["created_at"],
            "aliases": [a["alias"] for a in aliases],
            "memories": edges,
        }


def collect(store: SQLiteStore, f: ExportFilter) -> dict[str, list[dict[str, Any]]]:
    """The records to export, all in memory (for tests and small slices; export streams)."""
    return {name: list(records) for name, records in _records(store, f, _select(store, f))}


class _Member:
    """One zip member written as a stream, hashed and counted on the way."""

    def __init__(self, zf: zipfile.ZipFile, name: str) -> None:
        self._out = zf.open(name, "w", force_zip64=True)
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._sha.update(data)
        self.size += len(data)
        self._out.write(data)

    def close(self) -> dict[str, Any]:
        self._out.close()
        return {"sha256": self._sha.hexdigest(), "size": self.size}


def _write_vectors(member: _Member, bank: MemoryBank, ids: Sequence[str]) -> None:
    """The index's vectors in memory order, as one .npy written a page at a time; any the
    index lacks are computed now."""
    dim = bank.embedder.dim
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (len(ids), dim)}
    )
    member.write(header.getvalue())
    for start in range(0, len(ids), PAGE):
        page = ids[start : start + PAGE]
        found = bank.index.vectors(page)
        missing = [i for i in page if i not in found]
        if missing:
            texts = {m.id: m.text for m in bank.store.memories_by_ids(missing).values()}
            for memory_id, vector in zip(
                missing, bank.embedder.embed([texts[i] for i in missing]), strict=True
            ):
                found[memory_id] = vector
        out = np.zeros((len(page), dim), dtype="<f4")
        for row, memory_id in enumerate(page):
            out[row] = found[memory_id]
        member.write(out.tobytes())


def build(
    store: SQLiteStore,
    now: datetime,
    f: ExportFilter,
    bank: MemoryBank | None,
    out: IO[bytes],
) -> dict[str, int]:
    """Write the zip to `out`, streaming every member; returns the counts."""
    selection = _select(store, f)
    members: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    embedding: dict[str, Any] | None = None
    memory_order: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for record_type, records in _records(store, f, selection):
            member = _Member(zf, f"{record_type}.jsonl")
            n = 0
            for record in records:
                member.write(dumps_line(record))
                n += 1
                if record_type == "memories":
                    memory_order.append(record["id"])
            members[f"{record_type}.jsonl"] = member.close()
            counts[record_type] = n
        if bank is not None:
            member = _Member(zf, EMBEDDINGS)
            _write_vectors(member, bank, memory_order)
            members[EMBEDDINGS] = member.close()
            embedding = {
                "model_id": bank.embedder.model_id,
                "dim": bank.embedder.dim,
                "member": EMBEDDINGS,
            }
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": _app_version(),
            "created_at": to_db(now),
            "schema_version": SCHEMA_VERSION,
            "counts": counts,
            "members": members,
            "embedding": embedding,
            "filter": f.as_json(),
        }
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    return counts


def export_archive(
    store: SQLiteStore,
    path: Path,
    now: datetime,
    *,
    selection: ExportFilter | None = None,
    bank: MemoryBank | None = None,
    passphrase: str | None = None,
    on_phase: Phase = lambda _: None,
) -> ExportReport:
    """Write an archive at `path` (atomically). `bank` given: the vectors go in too."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ArchiveError(f"The folder {folder} does not exist. Create it or choose another path.")
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ArchiveError(
            f"Cannot write in {folder} ({exc.strerror}). Choose a writable folder."
        ) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            on_phase("writing")
            if passphrase is None:
                counts = build(store, now, selection or ExportFilter(), bank, handle)
            else:
                plain = io.BytesIO()
                counts = build(store, now, selection or ExportFilter(), bank, plain)
                handle.write(archive_crypto.encrypt(plain.getvalue(), passphrase))
            handle.flush()
            os.fsync(handle.fileno())
        on_phase("written")
        os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ArchiveError(
                f"The archive could not be written to {path} ({exc.strerror or exc}). "
                "Check the free space and permissions; nothing was left under that name."
            ) from exc
        raise
    return ExportReport(path, counts, bank is not None, passphrase is not None, path.stat().st_size)

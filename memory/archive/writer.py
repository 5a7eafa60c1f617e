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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    RECORD_TYPES,
    dumps_line,
    to_record,
)
from memory.bank import MemoryBank
from memory.clock import to_db
from memory.errors import ArchiveError
from memory.storage.schema import SCHEMA_VERSION
from memory.storage.store import SQLiteStore

Phase = Callable[[str], None]


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


@dataclass
class _Slice:
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


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


def collect(store: SQLiteStore, f: ExportFilter) -> dict[str, list[dict[str, Any]]]:
    """The records to export, closed under references: nothing in the slice points outside it."""
    params: list[Any] = []
    sql = f"SELECT * FROM memories WHERE {_time_clause('event_time', f, params)}"
    if f.kinds:
        sql += f" AND kind IN ({','.join('?' * len(f.kinds))})"
        params += list(f.kinds)
    memories = [to_record("memories", r) for r in store.rows(sql + " ORDER BY num", params)]
    messages: list[dict[str, Any]] = []
    if f.with_messages:
        params = []
        where = _time_clause("created_at", f, params)
        rows = store.rows(f"SELECT * FROM messages WHERE {where} ORDER BY id", params)
        messages = [to_record("messages", r) for r in rows]
    conversations = [
        to_record("conversations", r) for r in store.rows("SELECT * FROM conversations ORDER BY id")
    ]
    if not f.everything:
        wanted = {m["conversation_id"] for m in messages} | {m["conversation_id"] for m in memories}
        conversations = [c for c in conversations if c["id"] in wanted]
    conversation_ids = {c["id"] for c in conversations}
    message_ids = {m["id"] for m in messages}
    memory_ids = {m["id"] for m in memories}
    for m in memories:
        # References to rows outside the archive (a deleted chat, a slice) are not portable.
        if m["conversation_id"] not in conversation_ids:
            m["conversation_id"] = None
        m["source_message_ids"] = [i for i in m["source_message_ids"] if i in message_ids]
        if m["superseded_by"] not in memory_ids:
            m["superseded_by"] = None
    links = [
        to_record("memory_links", r)
        for r in store.rows("SELECT * FROM memory_links ORDER BY rowid")
        if r["memory_id"] in memory_ids and r["source_id"] in memory_ids
    ]
    replies = [
        to_record("reply_memories", r)
        for r in store.rows("SELECT * FROM reply_memories ORDER BY message_id, rank")
        if r["message_id"] in message_ids and r["memory_id"] in memory_ids
    ]
    recalls = []
    for r in store.rows("SELECT * FROM recall_events ORDER BY rowid"):
        if r["memory_id"] in memory_ids:
            event = to_record("recall_events", r)
            if event["message_id"] not in message_ids:
                event["message_id"] = None
            recalls.append(event)
    jobs = (
        [to_record("job_runs", r) for r in store.rows("SELECT * FROM job_runs ORDER BY id")]
        if f.everything
        else []
    )
    audit = [
        to_record("audit_log", r)
        for r in store.rows("SELECT * FROM audit_log ORDER BY id")
        if f.everything or r["memory_id"] in memory_ids
    ]
    return {
        "conversations": conversations,
        "messages": messages,
        "memories": memories,
        "memory_links": links,
        "reply_memories": replies,
        "recall_events": recalls,
        "job_runs": jobs,
        "audit_log": audit,
    }


def _vectors(bank: MemoryBank, ids: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The index's vectors in memory order; any the index lacks are computed now."""
    found = bank.index.vectors(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        texts = {r["id"]: r["text"] for r in bank.store.rows("SELECT id, text FROM memories")}
        for memory_id, vector in zip(
            missing, bank.embedder.embed([texts[i] for i in missing]), strict=True
        ):
            found[memory_id] = vector
    out = np.zeros((len(ids), bank.embedder.dim), dtype=np.float32)
    for row, memory_id in enumerate(ids):
        out[row] = found[memory_id]
    return out


def build(
    store: SQLiteStore,
    now: datetime,
    f: ExportFilter,
    bank: MemoryBank | None,
    out: IO[bytes],
) -> dict[str, int]:
    """Write the zip to `out`; returns the counts."""
    records = collect(store, f)
    members: dict[str, dict[str, Any]] = {}
    embedding: dict[str, Any] | None = None
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:

        def put(name: str, data: bytes) -> None:
            members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            zf.writestr(name, data)

        for record_type in RECORD_TYPES:
            put(f"{record_type}.jsonl", b"".join(dumps_line(r) for r in records[record_type]))
        if bank is not None:
            buffer = io.BytesIO()
            np.save(buffer, _vectors(bank, [m["id"] for m in records["memories"]]))
            put(EMBEDDINGS, buffer.getvalue())
            embedding = {
                "model_id": bank.embedder.model_id,
                "dim": bank.embedder.dim,
                "member": EMBEDDINGS,
            }
        counts = {t: len(records[t]) for t in RECORD_TYPES}
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

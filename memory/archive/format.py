"""Archive format v1: member names, record types, the JSON Schema, and rows <-> records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

FORMAT = "membank-archive"
# 1.1: memory spaces (a 1.0 archive imports into "personal"); 1.2: the memory graph, an
# optional entities.jsonl (an archive without it imports, and its memories are linked anew).
FORMAT_VERSION = "1.2"
MANIFEST = "manifest.json"
EMBEDDINGS = "embeddings.npy"
# Record types in the order they are written and imported (references point backwards).
RECORD_TYPES = (
    "conversations",
    "messages",
    "memories",
    "memory_links",
    "reply_memories",
    "recall_events",
    "job_runs",
    "audit_log",
)
# Record types an archive may lack (older than the version that added them).
OPTIONAL_TYPES = ("entities",)
MEMBERS = frozenset(
    {MANIFEST, EMBEDDINGS, *(f"{t}.jsonl" for t in (*RECORD_TYPES, *OPTIONAL_TYPES))}
)
# SQLite columns of each record type, in archive order (memories: all but num and indexed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "conversations": ("id", "title", "created_at", "updated_at", "space"),
    "messages": ("id", "conversation_id", "role", "text", "created_at"),
    "memories": (
        "id",
        "kind",
        "text",
        "created_at",
        "event_time",
        "updated_at",
        "strength",
        "last_recalled_at",
        "recall_count",
        "pinned",
        "state",
        "conversation_id",
        "source_message_ids",
        "locked",
        "superseded_by",
        "derive_key",
        "space",
        "shared",
    ),
    "memory_links": ("memory_id", "source_id", "relation"),
    "reply_memories": ("message_id", "memory_id", "rank", "score"),
    "recall_events": ("memory_id", "at", "message_id", "strength_after"),
    "job_runs": ("id", "job", "started_at", "finished_at", "status", "counts", "error"),
    "audit_log": ("id", "at", "event", "actor", "memory_id", "detail"),
}
_BOOLS = {"pinned", "locked", "shared"}
# Fields added in 1.1, with what a 1.0 archive (which has none of them) means.
_SINCE_1_1: dict[str, Any] = {"space": "personal", "shared": False}
_JSON_TEXT = {"source_message_ids", "counts", "detail"}  # JSON text in SQLite, JSON in archive


@dataclass(frozen=True)
class Limits:
    """What an import accepts, so a hostile file cannot exhaust memory or disk."""

    max_member_bytes: int = 2 << 30
    max_total_bytes: int = 4 << 30
    max_ratio: float = 200.0  # uncompressed / compressed size of one member
    ratio_floor_bytes: int = 1 << 20  # members smaller than this may compress as well as they like
    max_members: int = 64


@cache
def schema() -> dict[str, Any]:
    text = resources.files("memory.archive").joinpath("schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def validator(definition: str) -> Draft202012Validator:
    """A validator for the manifest or one record type (a `$defs` entry of the schema)."""
    full = schema()
    return Draft202012Validator({"$defs": full["$defs"], "$ref": f"#/$defs/{definition}"})


def major(version: str) -> int:
    return int(version.split(".", 1)[0])


def to_record(record_type: str, row: dict[str, Any]) -> dict[str, Any]:
    """A SQLite row as its archive record (booleans as booleans, JSON text as JSON)."""
    out: dict[str, Any] = {}
    for column in COLUMNS[record_type]:
        value = row[column]
        if column in _BOOLS:
            value = bool(value)
        elif column in _JSON_TEXT:
            value = json.loads(value or ("[]" if column == "source_message_ids" else "{}"))
        out[column] = value
    return out


def to_row(record_type: str, record: dict[str, Any]) -> dict[str, Any]:
    """An archive record as the values to insert into SQLite."""
    out: dict[str, Any] = {}
    for column in COLUMNS[record_type]:
        value = (
            record[column] if column not in _SINCE_1_1 else record.get(column, _SINCE_1_1[column])
        )
        if column in _BOOLS:
            value = int(value)
        elif column in _JSON_TEXT:
            value = json.dumps(value, sort_keys=column != "source_message_ids")
        out[column] = value
    return out


def dumps_line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")

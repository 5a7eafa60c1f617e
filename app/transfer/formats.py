"""Import other people's formats: a ChatGPT data export, a folder of notes, LoCoMo-shaped JSON.

Everything is read and validated first (a malformed file raises ArchiveError and writes
nothing), then written in ONE store transaction, then the index is reconciled, as the archive
import does. Conversations are stored as `app/transfer/conversations.py` stores them; no chat
model needed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.transfer.conversations import ImportedTurn, write_conversation
from app.transfer.locomo import load_locomo
from memory.bank import MemoryBank
from memory.errors import ArchiveError
from memory.records import Kind
from models.errors import MembankError

FORMATS = ("membank", "chatgpt", "notes", "locomo", "text")
NOTE_SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class Note:
    title: str
    text: str
    when: datetime


@dataclass(frozen=True)
class FileImportReport:
    format: str
    conversations: int
    messages: int
    memories: int


def detect_format(path: Path) -> str:
    """A folder is notes, a .json file is ChatGPT or LoCoMo by its shape, anything else an
    archive."""
    if path.is_dir():
        return "notes"
    if path.suffix.lower() in NOTE_SUFFIXES:
        return "text"  # one memory per line (app/transfer/plaintext.py)
    if path.suffix.lower() != ".json":
        return "membank"
    data = _json(path)
    first = data[0] if isinstance(data, list) and data else None
    if isinstance(first, dict) and "mapping" in first:
        return "chatgpt"
    if isinstance(first, dict) and "conversation" in first:
        return "locomo"
    raise ArchiveError(
        f"{path} is neither a ChatGPT export (conversations.json) nor LoCoMo-shaped JSON: "
        "name the format with --format."
    )


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArchiveError(f"{path} cannot be read as JSON ({exc}).") from exc


def _time(value: Any, where: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArchiveError(f"{where}: the time {value!r} is not a Unix timestamp.")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ArchiveError(f"{where}: the time {value!r} is out of range.") from exc


def parse_chatgpt(path: Path) -> list[tuple[str, list[ImportedTurn]]]:
    """The active branch of every conversation in a ChatGPT `conversations.json`: from
    `current_node` back through `parent`, user and assistant messages with text, oldest first."""
    data = _json(path)
    if not isinstance(data, list):
        raise ArchiveError(f"{path} is not a ChatGPT export: expected a list of conversations.")
    result = []
    for n, conv in enumerate(data, 1):
        where = f"{path.name}, conversation {n}"
        if not isinstance(conv, dict) or not isinstance(conv.get("mapping"), dict):
            raise ArchiveError(f"{where}: no `mapping` of messages; is this a ChatGPT export?")
        mapping: dict[str, Any] = conv["mapping"]
        started = _time(conv.get("create_time"), where)
        node_id = conv.get("current_node")
        if node_id not in mapping:
            raise ArchiveError(f"{where}: `current_node` {node_id!r} is not in the mapping.")
        branch: list[ImportedTurn] = []
        seen: set[str] = set()
        while node_id is not None:
            if node_id in seen:
                raise ArchiveError(f"{where}: the `parent` links form a loop at {node_id!r}.")
            seen.add(node_id)
            node = mapping.get(node_id)
            if not isinstance(node, dict):
                raise ArchiveError(f"{where}: node {node_id!r} is missing or not an object.")
            turn = _chatgpt_turn(node.get("message"), started, f"{where}, node {node_id!r}")
            if turn is not None:
                branch.append(turn)
            node_id = node.get("parent")
        title = conv.get("title")
        title = title.strip() if isinstance(title, str) and title.strip() else "ChatGPT chat"
        result.append((title, branch[::-1]))
    return result


def _chatgpt_turn(message: Any, started: datetime, where: str) -> ImportedTurn | None:
    if message is None:  # the root node
        return None
    if not isinstance(message, dict):
        raise ArchiveError(f"{where}: `message` is not an object.")
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    if not isinstance(role, str):
        raise ArchiveError(f"{where}: the message has no author role.")
    if role not in ("user", "assistant"):
        return None  # system and tool messages are not the conversation
    content = message.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    if parts is None:
        return None  # e.g. code or browsing results: no text parts
    if not isinstance(parts, list):
        raise ArchiveError(f"{where}: `content.parts` is not a list.")
    text = "\n".join(p for p in parts if isinstance(p, str)).strip()
    if not text:
        return None
    when_raw = message.get("create_time")
    when = started if when_raw is None else _time(when_raw, where)
    return ImportedTurn("", text, when, role)


def read_notes(folder: Path) -> list[Note]:
    """Every .txt and .md file under `folder` (sorted by path): title = file name, text = its
    contents, time = its modification time. Empty files are skipped."""
    if not folder.is_dir():
        raise ArchiveError(f"{folder} is not a folder of notes.")
    notes = []
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in NOTE_SUFFIXES)
    for file in files:
        if not file.is_file():
            continue
        try:
            body = file.read_text(encoding="utf-8").strip()
            mtime = file.stat().st_mtime
        except UnicodeDecodeError as exc:
            raise ArchiveError(f"{file} is not UTF-8 text ({exc}); nothing was imported.") from exc
        except OSError as exc:
            raise ArchiveError(f"{file} cannot be read ({exc}); nothing was imported.") from exc
        if body:
            notes.append(
                Note(file.name, f"{file.name}\n\n{body}", datetime.fromtimestamp(mtime, UTC))
            )
    if not notes:
        raise ArchiveError(f"{folder} holds no .txt or .md notes with text.")
    return notes


def parse_locomo(path: Path) -> list[tuple[str, list[ImportedTurn]]]:
    try:
        conversations = load_locomo(path)
    except ArchiveError:
        raise
    except MembankError as exc:
        raise ArchiveError(str(exc)) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ArchiveError(
            f"{path} is not in LoCoMo's shape ({type(exc).__name__}: {exc}); nothing was imported."
        ) from exc
    return [(c.name, [t for _, t in c.turns]) for c in conversations]


@dataclass(frozen=True)
class ParsedImport:
    """A file read and validated, ready to be written."""

    format: str
    conversations: list[tuple[str, list[ImportedTurn]]]
    notes: list[Note]


def read_import(path: Path, fmt: str) -> ParsedImport:
    """Read and validate `path` as `fmt` (chatgpt, notes or locomo); ArchiveError if malformed."""
    if fmt == "chatgpt":
        return ParsedImport(fmt, parse_chatgpt(path), [])
    if fmt == "locomo":
        return ParsedImport(fmt, parse_locomo(path), [])
    if fmt == "notes":
        return ParsedImport(fmt, [], read_notes(path))
    raise ArchiveError(f"Unknown import format {fmt!r}: use chatgpt, notes or locomo here.")


def write_import(bank: MemoryBank, parsed: ParsedImport, now: datetime) -> FileImportReport:
    """Write everything in one transaction, then bring the index in step."""
    store = bank.store
    try:
        with store.transaction(atomic=True):
            for title, turns in parsed.conversations:
                write_conversation(store, bank, title, turns, now)
            for note in parsed.notes:
                store.add_memory(
                    Kind.NOTE,
                    note.text,
                    now,
                    event_time=note.when,
                    strength=bank.decay.initial(Kind.NOTE, note.text),
                )
    except sqlite3.Error as exc:
        raise ArchiveError(
            f"The import could not be written ({exc}); the store is unchanged."
        ) from exc
    bank.reconcile()
    turns = [t for _, ts in parsed.conversations for t in ts]
    return FileImportReport(
        parsed.format,
        len(parsed.conversations),
        len(turns),
        len(parsed.notes) + sum(t.role == "user" for t in turns),
    )


def import_file(bank: MemoryBank, path: Path, fmt: str, now: datetime) -> FileImportReport:
    """Read and validate `path` as `fmt`, then write it all in one transaction and index it."""
    return write_import(bank, read_import(path, fmt), now)

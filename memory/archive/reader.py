"""Read an archive: open a `.membank` file and validate all of it before anything is written.

Nothing is extracted to disk: members are read into memory after their names, sizes and
compression ratios are checked, then verified against the manifest's checksums, parsed,
validated against the JSON Schema, and checked for duplicate ids and dangling references.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import numpy.typing as npt

from memory.archive import crypto as archive_crypto
from memory.archive.format import (
    EMBEDDINGS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MEMBERS,
    OPTIONAL_TYPES,
    RECORD_TYPES,
    Limits,
    major,
    validator,
)
from memory.errors import ArchiveError

# What zipfile raises on damaged data: bad headers, bad deflate streams, unknown methods.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    OSError,
)


@dataclass(frozen=True)
class ArchiveContents:
    manifest: dict[str, Any]
    records: dict[str, list[dict[str, Any]]]
    vectors: npt.NDArray[np.float32] | None  # one row per memory, in archive order

    @property
    def embedding_model(self) -> tuple[str, int] | None:
        e = self.manifest["embedding"]
        return None if e is None else (str(e["model_id"]), int(e["dim"]))


def _fail(what: str, todo: str = "") -> ArchiveError:
    todo = todo or "Export it again from the machine it came from; nothing was imported."
    return ArchiveError(f"{what} {todo}")


def _open_zip(path: Path, passphrase: str | None) -> zipfile.ZipFile:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(archive_crypto.MAGIC))
            if archive_crypto.is_encrypted(head):
                blob = head + handle.read()
                return zipfile.ZipFile(io.BytesIO(archive_crypto.decrypt(blob, passphrase)))
        return zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise _fail(f"There is no archive at {path}.", "Check the path.") from exc
    except IsADirectoryError as exc:
        raise _fail(f"{path} is a folder, not an archive.", "Give the .membank file.") from exc
    except PermissionError as exc:
        raise _fail(f"{path} cannot be read (permission denied).", "Fix its permissions.") from exc
    except (*_DAMAGED, zipfile.LargeZipFile) as exc:
        raise _fail(
            f"{path} is not a membank archive: it is not a readable zip file ({exc}); it may be "
            "truncated or damaged.",
            "Copy it again from where it was made.",
        ) from exc


def _check_names(zf: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise _fail(f"The archive has {len(infos)} members; a membank archive has at most 10.")
    by_name: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        pure = PurePosixPath(name)
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or ".." in pure.parts
            or (len(name) > 1 and name[1] == ":")
        ):
            raise _fail(
                f"The archive member {name!r} has an unsafe path (absolute, or leading out of "
                "its folder). This file was crafted or damaged; do not use it.",
                "Nothing was imported.",
            )
        if name in by_name:
            raise _fail(f"The archive holds the member {name!r} twice.")
        if name not in MEMBERS:
            raise _fail(f"The archive holds an unexpected member {name!r}.")
        if info.flag_bits & 0x1:
            raise _fail(f"The member {name!r} uses zip encryption, which membank never writes.")
        if info.file_size > limits.max_member_bytes:
            raise _fail(
                f"The member {name!r} would unpack to {info.file_size} bytes, more than the "
                f"limit of {limits.max_member_bytes}.",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise _fail(
                f"The member {name!r} unpacks {ratio:.0f} times larger than it is stored (a zip "
                f"bomb?); membank refuses ratios above {limits.max_ratio:.0f}.",
                "Nothing was imported.",
            )
        total += info.file_size
        by_name[name] = info
    if total > limits.max_total_bytes:
        raise _fail(f"The archive would unpack to {total} bytes, more than the limit.")
    if MANIFEST not in by_name:
        raise _fail("The archive has no manifest.json, so it is not a membank archive.")
    return by_name


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read at most the declared size (+1 to notice a lie), whatever the headers claim."""
    try:
        with zf.open(info) as member:
            data = member.read(info.file_size + 1)
    except _DAMAGED as exc:
        raise _fail(f"The member {info.filename!r} is damaged ({exc}).") from exc
    if len(data) != info.file_size:
        raise _fail(f"The member {info.filename!r} is not the size its zip header says.")
    return data


def _manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"manifest.json is not valid JSON ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _fail("manifest.json does not describe a membank archive (format is wrong).")
    version = manifest.get("format_version")
    newer = isinstance(version, str) and version.split(".", 1)[0].isdigit()
    if newer and major(str(version)) > major(FORMAT_VERSION):
        raise ArchiveError(
            f"This archive has format version {version}, newer than this membank understands "
            f"({FORMAT_VERSION}). Update membank to import it; nothing was imported."
        )
    errors = sorted(validator("manifest").iter_errors(manifest), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise _fail(f"manifest.json is invalid at {where}: {errors[0].message}.")
    return manifest


def _records(record_type: str, data: bytes) -> list[dict[str, Any]]:
    check = validator(record_type)
    out: list[dict[str, Any]] = []
    member = f"{record_type}.jsonl"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(f"{member} is not UTF-8 text ({exc}).") from exc
    # split on \n only: str.splitlines() would also split inside texts holding \x85 or \u2028.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(f"{member} line {number} is not valid JSON ({exc.msg}).") from exc
        error = next(iter(check.iter_errors(record)), None)
        if error is not None:
            field = "/".join(str(p) for p in error.absolute_path) or "the record"
            raise _fail(f"{member} line {number}: {field}: {error.message}.")
        out.append(record)
    return out


def _unique(records: list[dict[str, Any]], key: tuple[str, ...], what: str) -> set[Any]:
    seen: set[Any] = set()
    for r in records:
        value = tuple(r[k] for k in key) if len(key) > 1 else r[key[0]]
        if value in seen:
            raise _fail(f"The archive holds {what} {value!r} twice.")
        seen.add(value)
    return seen


def _check_references(records: dict[str, list[dict[str, Any]]]) -> None:
    conversations = _unique(records["conversations"], ("id",), "conversation")
    messages = _unique(records["messages"], ("id",), "message")
    memories = _unique(records["memories"], ("id",), "memory")
    _unique(records["job_runs"], ("id",), "job run")
    _unique(records["audit_log"], ("id",), "audit entry")
    keys = [m["derive_key"] for m in records["memories"] if m["derive_key"] is not None]
    if len(keys) != len(set(keys)):
        raise _fail("The archive holds two memories with the same derive key.")
    _unique(records["memory_links"], ("memory_id", "source_id", "relation"), "link")
    _unique(records["reply_memories"], ("message_id", "memory_id"), "reply usage")

    def dangling(what: str, value: Any) -> ArchiveError:
        return _fail(f"The archive is inconsistent: {what} {value!r} refers to nothing in it.")

    for m in records["messages"]:
        if m["conversation_id"] not in conversations:
            raise dangling(f"message {m['id']}'s conversation", m["conversation_id"])
    for m in records["memories"]:
        if m["conversation_id"] is not None and m["conversation_id"] not in conversations:
            raise dangling(f"memory {m['id']}'s conversation", m["conversation_id"])
        for i in m["source_message_ids"]:
            if i not in messages:
                raise dangling(f"memory {m['id']}'s source message", i)
        if m["superseded_by"] is not None and m["superseded_by"] not in memories:
            raise dangling(f"memory {m['id']}'s superseded_by", m["superseded_by"])
    for link in records["memory_links"]:
        for end in ("memory_id", "source_id"):
            if link[end] not in memories:
                raise dangling(f"a link's {end}", link[end])
    for r in records["reply_memories"]:
        if r["message_id"] not in messages:
            raise dangling("a reply usage's message", r["message_id"])
        if r["memory_id"] not in memories:
            raise dangling("a reply usage's memory", r["memory_id"])
    _unique(records["entities"], ("id",), "entity")
    aliases: set[str] = set()
    for entity in records["entities"]:
        for alias in entity["aliases"]:
            if alias in aliases:
                raise _fail(f"The archive gives the alias {alias!r} to two entities.")
            aliases.add(alias)
        for memory_id, _ in entity["memories"]:
            if memory_id not in memories:
                raise dangling(f"entity {entity['id']}'s memory", memory_id)
    for e in records["recall_events"]:
        if e["memory_id"] not in memories:
            raise dangling("a recall event's memory", e["memory_id"])
        if e["message_id"] is not None and e["message_id"] not in messages:
            raise dangling("a recall event's message", e["message_id"])


def _vectors(data: bytes, rows: int, dim: int) -> npt.NDArray[np.float32]:
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _fail(f"embeddings.npy is not a readable array ({exc}).") from exc
    if array.dtype != np.float32 or array.shape != (rows, dim):
        raise _fail(
            f"embeddings.npy holds {array.dtype} {array.shape}, not float32 ({rows}, {dim}) "
            "as the manifest says."
        )
    if not np.isfinite(array).all():
        raise _fail("embeddings.npy holds values that are not finite numbers.")
    return np.asarray(array, dtype=np.float32)


def read_archive(
    path: Path, passphrase: str | None = None, limits: Limits | None = None
) -> ArchiveContents:
    """The validated contents of the archive at `path`, or an ArchiveError saying what is wrong."""
    limits = limits or Limits()
    with _open_zip(Path(path), passphrase) as zf:
        infos = _check_names(zf, limits)
        manifest = _manifest(_read(zf, infos[MANIFEST]))
        listed = set(manifest["members"])
        present = set(infos) - {MANIFEST}
        if listed - present:
            raise _fail(f"The archive lacks {sorted(listed - present)[0]}, listed in its manifest.")
        if present - listed:
            raise _fail(f"The member {sorted(present - listed)[0]} is not in the manifest.")
        blobs: dict[str, bytes] = {}
        for name in sorted(present):
            data = _read(zf, infos[name])
            expected = manifest["members"][name]
            if len(data) != expected["size"]:
                raise _fail(f"{name} is {len(data)} bytes, the manifest says {expected['size']}.")
            if hashlib.sha256(data).hexdigest() != expected["sha256"]:
                raise _fail(
                    f"{name} does not match its checksum in the manifest: the archive was "
                    "changed or damaged after it was written."
                )
            blobs[name] = data
    records: dict[str, list[dict[str, Any]]] = {}
    for record_type in RECORD_TYPES:
        name = f"{record_type}.jsonl"
        if name not in blobs:
            raise _fail(f"The archive lacks {name}.")
        records[record_type] = _records(record_type, blobs[name])
        expected_count = manifest["counts"][record_type]
        if len(records[record_type]) != expected_count:
            raise _fail(
                f"{name} holds {len(records[record_type])} records, the manifest says "
                f"{expected_count}."
            )
    for record_type in OPTIONAL_TYPES:
        name = f"{record_type}.jsonl"
        records[record_type] = _records(record_type, blobs[name]) if name in blobs else []
        if len(records[record_type]) != manifest["counts"].get(record_type, 0):
            raise _fail(
                f"{name} holds {len(records[record_type])} records, the manifest says "
                f"{manifest['counts'].get(record_type, 0)}."
            )
    _check_references(records)
    vectors = None
    if manifest["embedding"] is not None:
        if EMBEDDINGS not in blobs:
            raise _fail("The manifest promises embeddings, but embeddings.npy is missing.")
        vectors = _vectors(
            blobs[EMBEDDINGS], len(records["memories"]), int(manifest["embedding"]["dim"])
        )
    elif EMBEDDINGS in blobs:
        raise _fail("embeddings.npy is present, but the manifest does not describe it.")
    return ArchiveContents(manifest, records, vectors)

"""Archive v1: round trip, validation of bad archives, merge and replace, atomic writes."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from memory.archive import crypto as archive_crypto
from memory.archive.format import Limits
from memory.archive.reader import read_archive
from memory.archive.restore import _Merge, import_archive
from memory.archive.writer import ExportFilter, collect, export_archive
from memory.bank import MemoryBank
from memory.consolidation.hierarchy import HierarchyStore
from memory.errors import ArchiveEncryptedError, ArchiveError
from memory.records import Kind
from tests.unit.archive_util import (
    dump,
    members,
    populate,
    records,
    resealed,
    with_records,
    write_zip,
)
from tests.unit.fakes import T0, HashEmbedder, make_bank

LATER = T0 + timedelta(days=3)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[MemoryBank]:
    bank = make_bank(tmp_path / "source")
    populate(bank)
    yield bank
    bank.close()
    bank.store.close()


@pytest.fixture
def target(tmp_path: Path) -> Iterator[MemoryBank]:
    bank = make_bank(tmp_path / "target")
    yield bank
    bank.close()
    bank.store.close()


def comparable(bank: MemoryBank) -> dict[str, Any]:
    """The archive content of a store, minus the audit trail that importing itself adds."""
    content = collect(bank.store, ExportFilter())
    content["audit_log"] = [a for a in content["audit_log"] if a["event"] != "imported"]
    for entry in content["audit_log"]:
        del entry["id"]
    return content


def assert_in_step(bank: MemoryBank) -> None:
    assert bank.index.ids() == bank.store.all_memory_ids()
    assert bank.store.unindexed() == []


def test_round_trip_into_an_empty_store_gives_the_same_content(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    first = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source)
    assert first.counts["memories"] == 7 and first.counts["memory_links"] >= 4
    report = import_archive(target, read_archive(first.path), LATER)
    assert report.added["memories"] == 7 and report.vectors_reused == 7
    assert report.vectors_computed == 0
    assert comparable(target) == comparable(source)
    assert_in_step(target)
    second = export_archive(target.store, tmp_path / "b.membank", LATER, bank=target)
    again = read_archive(second.path)
    assert again.records["memories"] == read_archive(first.path).records["memories"]
    assert np.allclose(again.vectors, read_archive(first.path).vectors)  # type: ignore[arg-type]
    # Recall works on the imported store exactly as on the original.
    asked = [r.memory.id for r in target.recall("What is my cat called?", LATER)]
    assert asked == [r.memory.id for r in source.recall("What is my cat called?", LATER)]


def test_encrypted_round_trip_and_wrong_passphrase(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    path = export_archive(source.store, tmp_path / "e.membank", LATER, passphrase="correct horse")
    assert path.encrypted and archive_crypto.is_encrypted(path.path.read_bytes()[:8])
    assert b"Miso" not in path.path.read_bytes()
    with pytest.raises(ArchiveError, match="passphrase is wrong") as wrong:
        read_archive(path.path, "battery staple")
    assert not isinstance(wrong.value, ArchiveEncryptedError)  # the UI asks again only on this
    with pytest.raises(ArchiveEncryptedError, match="Give its passphrase"):
        read_archive(path.path)
    import_archive(target, read_archive(path.path, "correct horse"), LATER)
    assert comparable(target) == comparable(source)
    assert_in_step(target)  # no vectors in the archive: computed by reconcile


def test_export_filters_by_date_and_kind_and_stays_self_consistent(
    source: MemoryBank, tmp_path: Path
) -> None:
    only_facts = ExportFilter(kinds=("fact",))
    content = collect(source.store, only_facts)
    assert {m["kind"] for m in content["memories"]} == {"fact"}
    assert content["messages"] == [] and content["job_runs"] == []
    day_two = ExportFilter(since=T0 + timedelta(hours=12), until=T0 + timedelta(days=2))
    path = export_archive(source.store, tmp_path / "d.membank", LATER, selection=day_two)
    sliced = read_archive(path.path)  # validation proves no reference points outside it
    assert [m["text"] for m in sliced.records["messages"]] == ["I moved to Berlin"]
    assert [c["title"] for c in sliced.records["conversations"]] == ["Moving"]


def test_an_export_never_leaves_half_a_file_under_the_real_name(
    source: MemoryBank, tmp_path: Path
) -> None:
    target = tmp_path / "out.membank"
    target.write_bytes(b"the previous archive")

    def crash(phase: str) -> None:
        if phase == "written":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_archive(source.store, target, LATER, on_phase=crash)
    assert target.read_bytes() == b"the previous archive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.membank", "source"]


# --- bad archives ----------------------------------------------------------------------------

Mutation = Callable[[dict[str, bytes], Path], Path]


def _zip(content: dict[str, bytes] | list[tuple[str, bytes]]) -> Callable[[Path], Path]:
    return lambda p: write_zip(p, content)


def _memory_rows(c: dict[str, bytes], change: Callable[[list[dict[str, Any]]], None]) -> Any:
    rows = records(c, "memories")
    change(rows)
    return resealed(with_records(c, "memories", rows))


def _drop(c: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {k: v for k, v in c.items() if k != name}


def _manifest(c: dict[str, bytes], **changes: Any) -> dict[str, bytes]:
    m = json.loads(c["manifest.json"])
    m.update(changes)
    return {**c, "manifest.json": json.dumps(m).encode()}


def _bomb(c: dict[str, bytes]) -> dict[str, bytes]:
    rows = records(c, "memories")
    rows[0]["text"] = "a" * 3_000_000
    return resealed(with_records(c, "memories", rows))


def _bad_vectors(c: dict[str, bytes]) -> dict[str, bytes]:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 3), dtype=np.float32))
    return resealed({**c, "embeddings.npy": buffer.getvalue()})


def _nth(rows: list[dict[str, Any]], key: str, value: Any) -> None:
    rows[0][key] = value


BAD: dict[str, tuple[Callable[[dict[str, bytes], Path], None], str]] = {
    "not a zip": (
        lambda c, p: p.write_bytes(b"hello, not a zip at all" * 10),
        "not a readable zip",
    ),
    "truncated zip": (
        lambda c, p: p.write_bytes(write_zip(p, c).read_bytes()[:300]),
        "may be truncated",
    ),
    "no manifest": (lambda c, p: _zip(_drop(c, "manifest.json"))(p), "has no manifest.json"),
    "manifest not JSON": (
        lambda c, p: _zip({**c, "manifest.json": b"{oops"})(p),
        "manifest.json is not valid JSON",
    ),
    "not a membank manifest": (
        lambda c, p: _zip(_manifest(c, format="zipfile"))(p),
        "does not describe a membank archive",
    ),
    "newer major version": (
        lambda c, p: _zip(_manifest(c, format_version="2.0"))(p),
        "newer than this membank understands",
    ),
    "manifest fails its schema": (
        lambda c, p: _zip(_manifest(c, counts={"memories": "many"}))(p),
        "manifest.json is invalid at counts",
    ),
    "zip slip": (lambda c, p: _zip([*c.items(), ("../../evil.jsonl", b"x")])(p), "unsafe path"),
    "absolute path": (lambda c, p: _zip([*c.items(), ("/etc/cron.d/x", b"x")])(p), "unsafe path"),
    "unexpected member": (
        lambda c, p: _zip({**c, "notes.txt": b"x"})(p),
        "unexpected member 'notes.txt'",
    ),
    "member twice": (
        lambda c, p: _zip([*c.items(), ("messages.jsonl", b"")])(p),
        "holds the member 'messages.jsonl' twice",
    ),
    "checksum mismatch": (
        lambda c, p: _zip({**c, "memories.jsonl": c["memories.jsonl"].replace(b"Miso", b"Mosi")})(
            p
        ),
        "does not match its checksum",
    ),
    "size mismatch": (
        lambda c, p: _zip(
            {**c, "memories.jsonl": c["memories.jsonl"] + b"\n"}
            | {"manifest.json": resealed(c)["manifest.json"]}
        )(p),
        "the manifest says",
    ),
    "listed member missing": (
        lambda c, p: _zip(_drop(c, "recall_events.jsonl"))(p),
        "lacks recall_events.jsonl, listed in its manifest",
    ),
    "member not in manifest": (
        lambda c, p: _zip(
            {**c, "manifest.json": resealed(_drop(c, "audit_log.jsonl"))["manifest.json"]}
        )(p),
        "audit_log.jsonl is not in the manifest",
    ),
    "zip bomb": (lambda c, p: _zip(_bomb(c))(p), "a zip bomb?"),
    "line not JSON": (
        lambda c, p: _zip(resealed({**c, "messages.jsonl": b"{not json\n"}))(p),
        "messages.jsonl line 1 is not valid JSON",
    ),
    "not UTF-8": (
        lambda c, p: _zip(resealed({**c, "messages.jsonl": b"\xff\xfe\n"}))(p),
        "is not UTF-8",
    ),
    "required field missing": (
        lambda c, p: _zip(_memory_rows(c, lambda rows: rows[0].pop("text")))(p),
        "'text' is a required property",
    ),
    "wrong type": (
        lambda c, p: _zip(_memory_rows(c, lambda rows: _nth(rows, "strength", "strong")))(p),
        "strength: 'strong' is not of type 'number'",
    ),
    "unknown kind": (
        lambda c, p: _zip(_memory_rows(c, lambda rows: _nth(rows, "kind", "dream")))(p),
        "kind: 'dream' is not one of",
    ),
    "bad timestamp": (
        lambda c, p: _zip(_memory_rows(c, lambda rows: _nth(rows, "event_time", "yesterday")))(p),
        "event_time: 'yesterday' does not match",
    ),
    "duplicate memory id": (
        lambda c, p: _zip(_memory_rows(c, lambda rows: _nth(rows, "id", rows[1]["id"])))(p),
        "holds memory",
    ),
    "dangling source message": (
        lambda c, p: _zip(_memory_rows(c, lambda rows: _nth(rows, "source_message_ids", [999])))(p),
        "source message 999 refers to nothing",
    ),
    "dangling link": (
        lambda c, p: _zip(
            resealed(
                with_records(
                    c,
                    "memory_links",
                    [{"memory_id": "nope", "source_id": "gone", "relation": "derived_from"}],
                ),
                counts={**json.loads(c["manifest.json"])["counts"], "memory_links": 1},
            )
        )(p),
        "a link's memory_id 'nope' refers to nothing",
    ),
    "count mismatch": (
        lambda c, p: _zip(
            resealed(c, counts={**json.loads(c["manifest.json"])["counts"], "messages": 99})
        )(p),
        "records, the manifest says 99",
    ),
    "embeddings of the wrong shape": (
        lambda c, p: _zip(_bad_vectors(c))(p),
        "embeddings.npy holds float32 (2, 3)",
    ),
    "encrypted, no passphrase": (
        lambda c, p: p.write_bytes(archive_crypto.encrypt(write_zip(p, c).read_bytes(), "pw")),
        "This archive is encrypted",
    ),
    "encrypted and tampered": (
        lambda c, p: p.write_bytes(
            archive_crypto.encrypt(write_zip(p, c).read_bytes(), "wrong-guess")
        ),
        "The passphrase is wrong",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_archive_is_refused_with_its_own_message_and_the_store_is_unchanged(
    case: str, source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    good = export_archive(source.store, tmp_path / "good.membank", LATER, bank=source).path
    populate(target)
    before = dump(target)
    index_before = target.index.ids()
    bad = tmp_path / "bad.membank"
    mutate, message = BAD[case]
    mutate(members(good), bad)
    passphrase = "pw" if case == "encrypted and tampered" else None
    limits = Limits(ratio_floor_bytes=1 << 20, max_ratio=50)
    with pytest.raises(ArchiveError, match=_escape(message)):
        import_archive(target, read_archive(bad, passphrase, limits), LATER)
    assert dump(target) == before
    assert target.index.ids() == index_before


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def test_the_corpus_has_at_least_fifteen_distinct_messages() -> None:
    assert len({message for _, message in BAD.values()}) >= 15


def test_member_size_limit(source: MemoryBank, tmp_path: Path) -> None:
    good = export_archive(source.store, tmp_path / "good.membank", LATER).path
    with pytest.raises(ArchiveError, match="more than the limit of 100"):
        read_archive(good, limits=Limits(max_member_bytes=100))


def test_a_failure_while_applying_rolls_everything_back(
    source: MemoryBank, target: MemoryBank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = export_archive(source.store, tmp_path / "good.membank", LATER).path
    before = dump(target)

    def boom(self: _Merge, *args: object) -> None:
        raise sqlite3.IntegrityError("disk said no")

    monkeypatch.setattr(_Merge, "history", boom)
    with pytest.raises(ArchiveError, match="the store is unchanged"):
        import_archive(target, read_archive(good), LATER)
    assert dump(target) == before


# --- merge and replace -----------------------------------------------------------------------


def test_merging_the_same_archive_twice_adds_nothing(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    path = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source).path
    import_archive(target, read_archive(path), LATER)
    before = dump(target)
    report = import_archive(target, read_archive(path), LATER)
    assert report.added == {} and report.updated == {}
    assert report.skipped["memories"] == 7 and report.skipped["messages"] == 4
    assert dump(target) == before


def test_merge_remaps_colliding_ids_and_keeps_the_newer_edit(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    # The target has its own conversation 1 and messages 1-2 (other words, other times).
    chat = target.store.create_conversation("Groceries", T0 - timedelta(days=5))
    target.store.add_message(chat.id, "user", "We need eggs", T0 - timedelta(days=5))
    target.store.add_message(chat.id, "user", "And bread", T0 - timedelta(days=5))
    # Same note on both machines (different ids): deduplicated by content.
    target.remember(Kind.NOTE, "Buy oat milk on Friday", T0)
    path = export_archive(source.store, tmp_path / "a.membank", LATER).path
    report = import_archive(target, read_archive(path), LATER)
    assert report.remapped == {"conversations": 1, "messages": 2}
    assert report.skipped.get("memories") == 1  # the shared note
    assert report.added["memories"] == 6
    texts = {m.text for m in target.store.memories()}
    assert "Buy oat milk on Friday" in texts and target.store.count_memories() == 7
    # References follow the new ids: the cat turn's source message holds the cat words.
    cat = next(m for m in target.store.memories() if m.text == "My cat is called Miso")
    (message_id,) = cat.source_message_ids
    said = target.store.rows(
        "SELECT text, conversation_id FROM messages WHERE id = ?", [message_id]
    )
    assert said[0]["text"] == "My cat is called Miso"
    assert cat.conversation_id == said[0]["conversation_id"]
    assert target.store.conversation(cat.conversation_id).title == "Pets"  # type: ignore[arg-type]
    reply = target.store.rows("SELECT * FROM messages WHERE role = 'assistant'")[0]
    assert target.store.used_memories([reply["id"]])[reply["id"]]
    assert target.store.conversation(chat.id).title == "Groceries"  # untouched
    assert_in_step(target)


def test_merge_keeps_the_newer_edit(source: MemoryBank, target: MemoryBank, tmp_path: Path) -> None:
    path = export_archive(source.store, tmp_path / "a.membank", LATER).path
    import_archive(target, read_archive(path), LATER)
    note = next(m for m in target.store.memories() if m.kind is Kind.NOTE)
    HierarchyStore(source.store).edit_text(note.id, "Buy soy milk on Friday", LATER)
    newer = export_archive(source.store, tmp_path / "b.membank", LATER).path
    report = import_archive(target, read_archive(newer), LATER)
    assert report.updated == {"memories": 1}
    assert target.store.memory(note.id).text == "Buy soy milk on Friday"
    assert_in_step(target)
    # An older archive does not undo the newer edit.
    report = import_archive(target, read_archive(path), LATER)
    assert report.updated == {} and target.store.memory(note.id).text == "Buy soy milk on Friday"


def test_replace_writes_a_backup_first_and_then_matches_the_archive(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    target.remember(Kind.NOTE, "Only on the target machine", T0)
    before = comparable(target)
    path = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source).path
    report = import_archive(
        target, read_archive(path), LATER, mode="replace", backup_dir=tmp_path / "backups"
    )
    assert report.backup is not None and report.backup.parent == tmp_path / "backups"
    assert comparable(target) == comparable(source)
    assert_in_step(target)
    # The backup restores the old store.
    restored = make_bank(tmp_path / "restored", HashEmbedder())
    import_archive(restored, read_archive(report.backup), LATER)
    assert comparable(restored) == before
    restored.close()
    restored.store.close()


def test_vectors_of_another_model_are_recomputed(source: MemoryBank, tmp_path: Path) -> None:
    path = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source).path
    other = make_bank(tmp_path / "other", HashEmbedder(dim=32))
    report = import_archive(other, read_archive(path), LATER)
    assert report.vectors_reused == 0 and report.vectors_computed == 7
    assert_in_step(other)
    other.close()
    other.store.close()


def test_zip_is_a_plain_zip_with_a_manifest(source: MemoryBank, tmp_path: Path) -> None:
    path = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source).path
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["format_version"] == "1.2"
    assert manifest["embedding"] == {
        "model_id": "fake/hash-bow",
        "dim": 64,
        "member": "embeddings.npy",
    }
    assert set(manifest["members"]) == {n for n in members(path) if n != "manifest.json"}


def test_spaces_travel_with_the_archive(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    work = source.store.create_conversation("Thesis", T0, space="thesis")
    chapter = source.store.add_memory(Kind.NOTE, "Chapter two is due in March", T0, space="thesis")
    everywhere = source.store.add_memory(Kind.NOTE, "I prefer short answers", T0)
    source.store.set_space(everywhere.id, "personal", shared=True)
    source.reconcile()
    path = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source).path
    import_archive(target, read_archive(path), LATER)
    assert target.store.memory(chapter.id).space == "thesis"
    assert target.store.memory(everywhere.id).shared is True
    assert {c.title: c.space for c in target.store.conversations()}["Thesis"] == work.space


def test_an_archive_from_before_spaces_imports_into_personal_and_moves_nothing(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    path = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source).path
    content = members(path)
    old: dict[str, list[dict[str, Any]]] = {}
    for record_type, fields in (("memories", ("space", "shared")), ("conversations", ("space",))):
        old[record_type] = [
            {k: v for k, v in r.items() if k not in fields} for r in records(content, record_type)
        ]
        content = with_records(content, record_type, old[record_type])
    v1_0 = write_zip(tmp_path / "v1.0.membank", resealed(content, format_version="1.0"))
    import_archive(target, read_archive(v1_0), LATER)
    assert {m.space for m in target.store.memories(limit=100)} == {"personal"}
    # A newer edit merged in from a 1.0 archive leaves the memory in the space it is in here.
    note = next(m for m in target.store.memories() if m.kind is Kind.NOTE)
    target.store.set_space(note.id, "work", shared=False)
    HierarchyStore(source.store).edit_text(note.id, "Buy soy milk on Friday", LATER)
    newer = export_archive(source.store, tmp_path / "b.membank", LATER, bank=source).path
    content = members(newer)
    rows = [
        {k: v for k, v in r.items() if k not in ("space", "shared")}
        for r in records(content, "memories")
    ]
    content = with_records(content, "memories", rows)
    content = with_records(content, "conversations", old["conversations"])
    import_archive(
        target,
        read_archive(write_zip(tmp_path / "b1.0.membank", resealed(content, format_version="1.0"))),
        LATER,
    )
    assert target.store.memory(note.id).text == "Buy soy milk on Friday"
    assert target.store.memory(note.id).space == "work"

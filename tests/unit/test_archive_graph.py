"""Archive format 1.2 carries the memory graph; 1.1 archives (no entities.jsonl) still import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from memory.archive.reader import read_archive
from memory.archive.restore import import_archive
from memory.archive.writer import export_archive
from memory.bank import MemoryBank
from memory.errors import ArchiveError
from memory.graph.store import MemoryGraph
from memory.records import Kind
from tests.unit.archive_util import members, records, resealed, with_records, write_zip
from tests.unit.fakes import T0, make_bank

LATER = T0 + timedelta(days=3)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[MemoryBank]:
    bank = make_bank(tmp_path / "source")
    bank.remember(Kind.NOTE, "My sister is starting a new job at Acme.", T0)
    bank.remember(Kind.NOTE, "My sister Joanna loves her job.", T0 + timedelta(days=1))
    bank.remember(Kind.NOTE, "I flew to Kyoto with Tom.", T0 + timedelta(days=2))
    graph = MemoryGraph(bank.store)
    graph.rename(graph.entity("Joanna").id, "Joanna Silva")  # the user's own correction
    graph.add_alias(graph.entity("Tom").id, "Tommy")
    yield bank
    bank.close()
    bank.store.close()


@pytest.fixture
def target(tmp_path: Path) -> Iterator[MemoryBank]:
    bank = make_bank(tmp_path / "target")
    yield bank
    bank.close()
    bank.store.close()


def test_the_graph_and_the_users_corrections_travel_with_the_archive(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    path = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source).path
    manifest = json.loads(members(path)["manifest.json"])
    assert manifest["format_version"] == "1.2"
    assert manifest["counts"]["entities"] == 4  # Joanna Silva, Acme, Kyoto, Tom
    report = import_archive(target, read_archive(path), LATER)
    assert report.added["entities"] == 4
    graph = MemoryGraph(target.store)
    joanna = graph.entity("my sister")
    assert joanna.name == "Joanna Silva" and joanna.memories == 2
    assert graph.entity("Tommy").name == "Tom"
    assert graph.check()["unlinked_memories"] == 0
    # The same archive again adds no entity and no edge.
    again = import_archive(target, read_archive(path), LATER)
    assert "entities" not in again.added
    assert graph.entity("my sister").memories == 2


def test_an_archive_from_before_the_graph_imports_and_its_memories_are_linked(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    path = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source).path
    content = {k: v for k, v in members(path).items() if k != "entities.jsonl"}
    manifest = json.loads(content["manifest.json"])
    counts = {k: v for k, v in manifest["counts"].items() if k != "entities"}
    old = write_zip(
        tmp_path / "v1.1.membank", resealed(content, format_version="1.1", counts=counts)
    )
    import_archive(target, read_archive(old), LATER)
    graph = MemoryGraph(target.store)
    assert graph.check()["unlinked_memories"] == 0  # linked as the index was reconciled
    assert graph.entity("my sister").name == "Joanna"  # by the rules: the rename did not travel


def test_a_bad_entities_member_is_refused_in_one_line_and_nothing_changes(
    source: MemoryBank, target: MemoryBank, tmp_path: Path
) -> None:
    path = export_archive(source.store, tmp_path / "a.membank", LATER, bank=source).path
    content = members(path)
    rows = records(content, "entities")
    rows[0]["memories"] = [["no-such-memory", "mention"]]
    bad = write_zip(tmp_path / "bad.membank", resealed(with_records(content, "entities", rows)))
    with pytest.raises(ArchiveError) as refused:
        read_archive(bad)
    assert "no-such-memory" in str(refused.value) and "\n" not in str(refused.value)
    assert target.store.count_memories() == 0

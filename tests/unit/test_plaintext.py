"""Markdown export ("what membank knows about me") and the one-fact-per-line text import."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.transfer.formats import detect_format
from app.transfer.plaintext import (
    read_text_memories,
    render_markdown,
    write_markdown,
    write_text_memories,
)
from memory.bank import MemoryBank
from memory.errors import ArchiveError
from memory.records import Kind
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, make_bank


def day(d: str) -> datetime:
    return datetime.fromisoformat(d).replace(hour=9, tzinfo=UTC)


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[MemoryBank]:
    b = make_bank(tmp_path / "a")
    yield b
    b.close()
    b.store.close()


@pytest.fixture
def other(tmp_path: Path) -> Iterator[MemoryBank]:
    b = make_bank(tmp_path / "b")
    yield b
    b.close()
    b.store.close()


def seed(store: SQLiteStore) -> None:
    for key, kind, text in (
        ("global_persona", Kind.GLOBAL_PERSONA, "Loves hiking.\nWorks as a nurse."),
        ("global_summary", Kind.GLOBAL_SUMMARY, "Talked about hikes and night shifts."),
    ):
        memory = store.add_memory(kind, text, T0)
        with store.transaction() as db:
            db.conn.execute("UPDATE memories SET derive_key = ? WHERE id = ?", [key, memory.id])
    store.add_memory(Kind.FACT, "The user lives in Lisbon.", T0, event_time=day("2025-03-01"))
    store.add_memory(Kind.FACT, "The user works night shifts.", T0, event_time=day("2025-02-10"))
    old = store.add_memory(Kind.FACT, "The user lives in Porto.", T0, event_time=day("2024-01-01"))
    with store.transaction() as db:
        db.conn.execute("UPDATE memories SET state = 'superseded' WHERE id = ?", [old.id])
    store.add_memory(Kind.NOTE, "Dentist on  Friday\nat 10", T0, event_time=day("2025-03-05"))
    store.add_memory(Kind.NOTE, "My cat is called Miso", T0, event_time=day("2025-01-20"))
    store.add_memory(Kind.TURN, "I had a long day", T0)


def section(markdown: str, title: str) -> list[str]:
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {title}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), None)
    return [line for line in lines[start + 1 : end] if line]


def test_the_export_reads_as_a_page_about_the_user(bank: MemoryBank) -> None:
    seed(bank.store)
    text = render_markdown(bank.store, T0)
    assert text.startswith("# What membank knows about me\n")
    assert section(text, "Persona") == ["> Loves hiking.", "> Works as a nurse."]
    assert "## Persona (updated " in text
    assert section(text, "Facts") == [
        "- 2025-02-10: The user works night shifts.",
        "- 2025-03-01: The user lives in Lisbon.",  # oldest first: diff-able
    ]
    assert section(text, "Notes") == [
        "- 2025-01-20: My cat is called Miso",
        "- 2025-03-05: Dentist on Friday at 10",
    ]
    assert "Porto" not in text and "long day" not in text  # superseded facts, chat turns
    assert render_markdown(bank.store, T0) == text  # the same store, the same bytes


def test_facts_and_notes_round_trip_and_a_second_import_adds_nothing(
    bank: MemoryBank, other: MemoryBank, tmp_path: Path
) -> None:
    seed(bank.store)
    path = tmp_path / "me.md"
    write_markdown(bank.store, path, T0)
    assert detect_format(path) == "text"
    items = read_text_memories(path)
    first = write_text_memories(other, items, T0)
    assert (first.facts, first.notes, first.skipped) == (2, 2, 0)
    again = render_markdown(other.store, T0)
    original = render_markdown(bank.store, T0)
    for title in ("Facts", "Notes"):
        assert section(again, title) == section(original, title)
    count = other.store.count_memories()
    second = write_text_memories(other, read_text_memories(path), T0)
    assert (second.facts, second.notes, second.skipped) == (0, 0, 4)
    assert other.store.count_memories() == count
    assert other.index_report().consistent
    # Into the store it came from: everything is already known.
    assert write_text_memories(bank, items, T0).skipped == 4


def test_pasted_saved_memories_become_facts(other: MemoryBank, tmp_path: Path) -> None:
    path = tmp_path / "chatgpt-memories.txt"
    path.write_text(
        "Is vegetarian.\n\n* Has a dog named Rex\n1. Prefers short answers\nIs vegetarian\n",
        encoding="utf-8",
    )
    items = read_text_memories(path)
    assert [(i.kind, i.text, i.when) for i in items][:3] == [
        (Kind.FACT, "Is vegetarian.", None),
        (Kind.FACT, "Has a dog named Rex", None),
        (Kind.FACT, "Prefers short answers", None),
    ]
    report = write_text_memories(other, items, T0)
    assert (report.facts, report.skipped) == (3, 1)  # the repeated line counts once


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00binary", "not UTF-8"),
        ("ok line\n" + "x" * 2500 + "\n", "line 2: 2500 characters"),
        ("# Only a heading\n\n> and a quote\n", "no memory lines"),
        ("- 2025-02-30: not a day\n", "line 1"),
    ],
)
def test_a_bad_file_is_refused_whole(
    other: MemoryBank, tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "bad.txt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ArchiveError, match=message):
        read_text_memories(path)
    assert other.store.count_memories() == 0

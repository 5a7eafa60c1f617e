"""SQLite errors are told apart by SQLite's result code, never by the words of the message
(which change with the SQLite version, SQLCipher, or an extended code's wording)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from memory.errors import DataDirError, StorageFullError, StoreCorruptError
from memory.records import Kind
from memory.storage import sqlite as store_sqlite
from memory.storage.sqlite import primary_code, write_error
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "membank.sqlite3")
    yield s
    s.close()


def _error(kind: type[sqlite3.Error], message: str, code: int) -> sqlite3.Error:
    error = kind(message)
    error.sqlite_errorcode = code  # what the driver attaches to an error it raises
    return error


def test_a_real_error_carries_its_code() -> None:
    with pytest.raises(sqlite3.OperationalError) as info:
        sqlite3.connect(":memory:").execute("SELECT * FROM nowhere")
    assert primary_code(info.value) == sqlite3.SQLITE_ERROR
    assert primary_code(ValueError("not from SQLite")) is None


def test_an_extended_code_counts_as_its_primary_code(tmp_path: Path) -> None:
    extended = sqlite3.SQLITE_IOERR | (4 << 8)  # SQLITE_IOERR_FSYNC
    mapped = write_error(tmp_path / "db", _error(sqlite3.OperationalError, "x", extended))
    assert isinstance(mapped, StorageFullError)


@pytest.mark.parametrize(
    ("message", "code", "expected"),
    [
        # Words the old message matching did not know, the code says what happened.
        ("Datenbank oder Festplatte ist voll", sqlite3.SQLITE_FULL, StorageFullError),
        ("write failed", sqlite3.SQLITE_IOERR, StorageFullError),
        ("schreibgeschützte Datenbank", sqlite3.SQLITE_READONLY, DataDirError),
        # Words the old matching took for a full disk or a read-only file; the code says no.
        ("no such table: disk is full", sqlite3.SQLITE_ERROR, sqlite3.OperationalError),
        ("no such column: readonly", sqlite3.SQLITE_ERROR, sqlite3.OperationalError),
    ],
)
def test_a_failed_write_is_classified_by_its_code(
    tmp_path: Path, message: str, code: int, expected: type[Exception]
) -> None:
    error = _error(sqlite3.OperationalError, message, code)
    mapped = write_error(tmp_path / "membank.sqlite3", error)
    assert type(mapped) is expected
    if expected is sqlite3.OperationalError:
        assert mapped is error  # passed on untouched


def test_a_full_database_is_a_storage_full_error(store: SQLiteStore) -> None:
    store.add_memory(Kind.NOTE, "saved before the limit", T0)
    pages = store.rows("PRAGMA page_count")[0]["page_count"]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL, as on a full disk
    with pytest.raises(StorageFullError, match="Free some disk space"):
        store.add_memory(Kind.NOTE, "x" * 200_000, T0)
    assert [m.text for m in store.memories()] == ["saved before the limit"]


def test_a_read_only_database_is_a_data_dir_error(store: SQLiteStore) -> None:
    store.db.conn.execute("PRAGMA query_only = ON")  # SQLITE_READONLY on every write
    with pytest.raises(DataDirError, match="read-only"):
        store.add_memory(Kind.NOTE, "not saved", T0)
    assert store.count_memories() == 0


@pytest.mark.parametrize(
    ("message", "code", "expected"),
    [
        ("unbekanntes Dateiformat", sqlite3.SQLITE_NOTADB, StoreCorruptError),
        ("Datenbank beschädigt", sqlite3.SQLITE_CORRUPT, StoreCorruptError),
        ("file is not a database", sqlite3.SQLITE_CANTOPEN, DataDirError),
    ],
)
def test_a_store_that_cannot_be_opened_is_classified_by_its_code(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    message: str,
    code: int,
    expected: type[Exception],
) -> None:
    def failing_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        raise _error(sqlite3.DatabaseError, message, code)

    monkeypatch.setattr(store_sqlite, "connect", failing_connect)
    with pytest.raises(expected) as info:
        SQLiteStore(tmp_path / "membank.sqlite3")
    assert type(info.value) is expected

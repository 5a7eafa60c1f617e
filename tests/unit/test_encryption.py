"""Encryption at rest: SQLCipher store, wrong passphrase, converting a plain store."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory.errors import StoreCorruptError
from memory.records import Kind
from memory.storage.encryption import StorePassphraseError, encrypt_store
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0

pytest.importorskip("sqlcipher3", reason="sqlcipher3-binary is not installed")
SECRET = "My bank PIN hint is the name of my first dog Rufus"


def _fill(store: SQLiteStore) -> str:
    return store.add_memory(Kind.NOTE, SECRET, T0).id


def _bytes_on_disk(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_an_encrypted_store_keeps_no_plain_text_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "membank.sqlite3"
    store = SQLiteStore(path, "open sesame")
    memory_id = _fill(store)
    assert store.keyword_search("Rufus")[0][0] == memory_id  # FTS5 works under SQLCipher
    store.close()
    assert b"Rufus" not in _bytes_on_disk(path)
    reopened = SQLiteStore(path, "open sesame")
    assert reopened.memory(memory_id).text == SECRET
    reopened.close()


def test_a_wrong_or_missing_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "membank.sqlite3"
    SQLiteStore(path, "right").close()
    with pytest.raises(StorePassphraseError, match="MEMBANK_DB_PASSPHRASE"):
        SQLiteStore(path, "wrong")
    with pytest.raises(StoreCorruptError, match="encrypted and MEMBANK_DB_PASSPHRASE is not set"):
        SQLiteStore(path)


def test_a_plain_store_is_converted_in_place(tmp_path: Path) -> None:
    path = tmp_path / "membank.sqlite3"
    plain = SQLiteStore(path)
    memory_id = _fill(plain)
    plain.close()
    assert b"Rufus" in _bytes_on_disk(path)
    encrypt_store(path, "new secret")
    assert b"Rufus" not in _bytes_on_disk(path)
    store = SQLiteStore(path, "new secret")
    assert store.memory(memory_id).text == SECRET
    assert store.keyword_search("Rufus")[0][0] == memory_id
    store.close()

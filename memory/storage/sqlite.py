"""The store's connection: opening (and migrating) the SQLite file, one lock, transactions.

The row-level methods live in `memory_rows`, `conversation_rows` and `fts`; `store.SQLiteStore`
puts them together.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from memory.errors import DataDirError, StorageFullError, StoreCorruptError
from memory.storage.encryption import connect, database_errors
from memory.storage.schema import migrate
from models.private_files import create_private_file


class SQLiteBase:
    """One connection, serialised by a lock. Thread-safe."""

    def __init__(self, path: Path, passphrase: str | None = None) -> None:
        self.path = path
        try:
            create_private_file(path)  # 0600 in a 0700 folder, and so its -wal and -shm files
            conn = connect(path, passphrase)  # SQLCipher when a passphrase is given
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
                # Deleted rows are zeroed on disk, so forgetting leaves no text in free pages.
                conn.execute("PRAGMA secure_delete = ON")
                migrate(conn)
            except BaseException:
                conn.close()  # else the file stays open (and locked on Windows)
                raise
        except OSError as exc:
            raise DataDirError(str(path.parent), exc.strerror or str(exc)) from exc
        except database_errors() as exc:
            if primary_code(exc) in _UNREADABLE:
                raise StoreCorruptError(
                    f"The memory store {path} cannot be read ({exc}): it is damaged, or it is "
                    "encrypted and MEMBANK_DB_PASSPHRASE is not set. Set the passphrase, or move "
                    "the file away (membank never overwrites it) and restore a backup archive: "
                    "`membank-cli backup list`, then `membank-cli backup restore FILE`."
                ) from exc
            raise DataDirError(str(path.parent), str(exc)) from exc
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._depth = 0  # nested transaction() blocks join the outermost one

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    @contextmanager
    def transaction(self, *, atomic: bool = False) -> Iterator[sqlite_utils.Database]:
        """One transaction; a block nested in another joins it. With `atomic` the outermost
        block opens it with BEGIN, so everything inside (sqlite-utils writes included, which
        otherwise commit one by one) commits or rolls back together, as an importer needs."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with self.db.conn:
                    if atomic and not self.db.conn.in_transaction:
                        self.db.conn.execute("BEGIN")
                    yield self.db
            except database_errors() as exc:  # rolled back: say why, in plain words
                mapped = write_error(self.path, exc)
                if mapped is exc:
                    raise
                raise mapped from exc
            finally:
                self._depth = 0

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Run a read query under the store's lock (for the memory package's own modules)."""
        with self._lock:
            return list(self.db.query(sql, params))


def primary_code(exc: BaseException) -> int | None:
    """SQLite's primary result code of `exc` (SQLITE_FULL, SQLITE_NOTADB...), from the code the
    driver attaches (`sqlite_errorcode`, an extended code), never from the message text."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


# The file is not a database, or a damaged one (or encrypted, with no passphrase given).
_UNREADABLE = frozenset({sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT})
# A write that failed for want of space: SQLITE_FULL, or an I/O error when the WAL or journal
# could not grow (what a full disk gives in WAL mode).
_NO_SPACE = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR})


def write_error(path: Path, exc: Exception) -> Exception:
    """The typed error a failed write means (or `exc` itself when SQLite's code says nothing
    about the disk): a full disk, or a read-only file or folder."""
    code = primary_code(exc)
    if code in _NO_SPACE:
        return StorageFullError(str(path.parent), f"the disk is full ({exc})")
    if code == sqlite3.SQLITE_READONLY:
        return DataDirError(str(path.parent), f"it is read-only ({exc})")
    return exc

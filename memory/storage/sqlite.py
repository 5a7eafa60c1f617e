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


class SQLiteBase:
    """One connection, serialised by a lock. Thread-safe."""

    def __init__(self, path: Path, passphrase: str | None = None) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
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
            if "not a database" in str(exc) or "malformed" in str(exc):
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
            except sqlite3.OperationalError as exc:  # rolled back: say why, in plain words
                mapped = _write_error(self.path, exc)
                if mapped is exc:
                    raise
                raise mapped from exc
            finally:
                self._depth = 0

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Run a read query under the store's lock (for the memory package's own modules)."""
        with self._lock:
            return list(self.db.query(sql, params))


def _write_error(path: Path, exc: sqlite3.OperationalError) -> Exception:
    text = str(exc)
    if "disk is full" in text or "disk I/O error" in text:
        return StorageFullError(str(path.parent), f"the disk is full ({text})")
    if "readonly" in text or "read-only" in text:
        return DataDirError(str(path.parent), f"it is read-only ({text})")
    return exc

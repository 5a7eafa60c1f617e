"""Optional encryption at rest for the SQLite store, with SQLCipher (the `sqlcipher3` package).

Set MEMBANK_DB_PASSPHRASE to open (or create) an encrypted store; `membank-cli encrypt-store`
converts a plain one. Chroma's folder is not encrypted: see the README.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from memory.errors import StoreCorruptError
from models.private_files import create_private_file

PASSPHRASE_ENV = "MEMBANK_DB_PASSPHRASE"


class StorePassphraseError(StoreCorruptError):
    title = "Memory store is locked"


def _driver() -> Any:
    try:
        import sqlcipher3.dbapi2 as driver
    except ImportError as exc:
        raise StorePassphraseError(
            f"{PASSPHRASE_ENV} is set, but SQLCipher is not installed: "
            "`pip install sqlcipher3-binary` (or unset the variable)."
        ) from exc
    return driver


def _quote(passphrase: str) -> str:
    return "'" + passphrase.replace("'", "''") + "'"


def connect(path: Path, passphrase: str | None) -> sqlite3.Connection:
    """A connection to the store; keyed and checked when a passphrase is given."""
    if not passphrase:
        return sqlite3.connect(path, check_same_thread=False, timeout=10)
    driver = _driver()
    conn = driver.connect(str(path), check_same_thread=False, timeout=10)
    conn.execute(f"PRAGMA key = {_quote(passphrase)}")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except driver.DatabaseError as exc:
        conn.close()
        raise StorePassphraseError(
            f"The memory store {path} cannot be opened with this passphrase: the passphrase is "
            f"wrong, or the store is not encrypted (then run `membank-cli encrypt-store`). "
            f"Check {PASSPHRASE_ENV}."
        ) from exc
    return conn  # type: ignore[no-any-return]


def database_errors() -> tuple[type[Exception], ...]:
    """sqlite3's DatabaseError, and SQLCipher's (not a subclass of it) when installed."""
    try:
        import sqlcipher3.dbapi2 as driver
    except ImportError:
        return (sqlite3.DatabaseError,)
    return (sqlite3.DatabaseError, driver.DatabaseError)


def passphrase_from_env() -> str | None:
    return os.environ.get(PASSPHRASE_ENV) or None


def encrypt_store(path: Path, passphrase: str) -> None:
    """Convert a plain store to an encrypted one in place (written beside it, then renamed)."""
    driver = _driver()
    target = path.with_suffix(".encrypting")
    target.unlink(missing_ok=True)
    create_private_file(target)  # SQLite would create it 0644 less the umask
    conn = driver.connect(str(path))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY {_quote(passphrase)}", [str(target)])
        conn.execute("SELECT sqlcipher_export('encrypted')")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.replace(target, path)

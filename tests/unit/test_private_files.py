"""Owner-only files whatever the umask (issue 17): every writer, under the usual umask 022,
makes 0700 folders and 0600 files; loose stores are found and tightened, and said once."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Config, LLMConfig, Paths, resolve_paths, save_config
from app.instance import InstanceLock
from app.logs import PrivateRotatingFileHandler
from app.privacy import folders as privacy
from app.privacy.ipc import private_runtime_dir, socket_name
from app.transfer.backups import backup_now
from memory.clock import ManualClock
from memory.storage.remote_index import namespace_for
from memory.storage.store import SQLiteStore
from models import private_files
from tests.unit.fakes import T0, ScriptedLLM, make_bank
from tests.unit.wiring import Services, make_services

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes (Windows: see README)")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The usual desktop umask, which alone would make files 0644 and folders 0755."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Services]:
    store = SQLiteStore(tmp_path / "data" / "membank.sqlite3")
    bank = make_bank(tmp_path / "data", store=store)
    service = make_services(Config(), store, ManualClock(T0), bank, ScriptedLLM())
    yield service
    bank.close()
    store.close()


def test_the_umask_alone_would_leave_files_readable_by_others(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    (tmp_path / "folder").mkdir()
    assert mode(tmp_path / "plain") == 0o644 and mode(tmp_path / "folder") == 0o755


def test_store_database_wal_and_shm_are_0600_in_a_0700_folder(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "data" / "membank.sqlite3")
    try:
        store.db.execute("CREATE TABLE IF NOT EXISTS t (x)")  # something in the WAL
        store.db.execute("INSERT INTO t VALUES (1)")
        data = tmp_path / "data"
        wal, shm = data / "membank.sqlite3-wal", data / "membank.sqlite3-shm"
        assert wal.exists() and shm.exists()
        assert mode(data) == 0o700
        assert {p.name: mode(p) for p in data.iterdir()} == {
            "membank.sqlite3": 0o600,
            "membank.sqlite3-wal": 0o600,
            "membank.sqlite3-shm": 0o600,
        }
    finally:
        store.close()


def test_backup_and_export_archives_are_0600(service: Services, tmp_path: Path) -> None:
    chat = service.chat
    list(chat.send(chat.new_conversation().id, "I keep bees", cancel=threading.Event()))
    backup = backup_now(service.archive, keep=3)
    assert mode(backup.path.parent) == 0o700 and mode(backup.path) == 0o600
    exports = tmp_path / "exports"
    exports.mkdir()
    report = service.archive.export(exports / "mine.membank")
    assert mode(report.path) == 0o600
    assert mode(exports) == 0o755  # the user's own folder is theirs to set


def test_config_lock_pid_namespace_and_logs_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_config(data / "config.toml", Config(llm=LLMConfig(api_key="sk-abc")))
    lock = InstanceLock(data / "membank.lock")
    lock.acquire()
    lock.release()
    namespace_for(data)
    private_files.private_dir(data / "logs")  # as setup_logging does
    handler = PrivateRotatingFileHandler(data / "logs" / "membank.log", maxBytes=50, backupCount=2)
    try:
        for n in range(5):  # rolls over: the new files are 0600 too
            handler.emit(logging.LogRecord("t", logging.INFO, "", 0, f"line {n} " * 5, None, None))
    finally:
        handler.close()
    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {
        "config.toml",
        "membank.lock",
        "membank.pid",
        "index-namespace.txt",
        "membank.log",
        "membank.log.1",
    }
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert mode(data) == 0o700


def test_open_private_tightens_an_existing_file_and_appends(tmp_path: Path) -> None:
    part = tmp_path / "model.gguf.part"
    part.write_bytes(b"abc")
    os.chmod(part, 0o644)
    with private_files.open_private(part, "ab") as fh:
        fh.write(b"def")
    assert part.read_bytes() == b"abcdef" and mode(part) == 0o600


def test_encrypted_store_conversion_keeps_the_store_0600(tmp_path: Path) -> None:
    pytest.importorskip("sqlcipher3")
    from memory.storage.encryption import encrypt_store

    path = tmp_path / "membank.sqlite3"
    SQLiteStore(path).close()
    encrypt_store(path, "correct horse")
    assert mode(path) == 0o600


def _make_loose(paths: Paths) -> None:
    for path in [paths.data_dir, *paths.data_dir.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def _store_with_everything(tmp_path: Path) -> Paths:
    paths = resolve_paths(str(tmp_path / "data"))
    store = SQLiteStore(paths.database)
    make_bank(paths.data_dir, store=store).close()
    store.close()
    save_config(paths.config_file, Config())
    (paths.log_dir).mkdir()
    (paths.log_dir / "membank.log").write_text("x")
    return paths


def test_a_loose_store_is_found_tightened_and_told_once(tmp_path: Path) -> None:
    paths = _store_with_everything(tmp_path)
    _make_loose(paths)
    chroma_files = [p for p in paths.index_dir.rglob("*") if p.is_file()]
    assert chroma_files
    found = privacy.check(paths)
    assert {p for p, _ in found.loose} == {paths.data_dir, *paths.data_dir.rglob("*")}
    assert mode(paths.database) == 0o644  # check changes nothing

    report = privacy.secure(paths)
    [notice] = privacy.notices(report)
    assert "Other accounts on this computer could read your membank data" in notice
    assert "now private to you" in notice
    for path in [paths.data_dir, *paths.data_dir.rglob("*")]:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert privacy.notices(privacy.secure(paths)) == []  # the next start says nothing


def test_only_what_membank_keeps_is_changed(tmp_path: Path) -> None:
    """A data folder pointed at a shared place keeps the user's other files as they were."""
    paths = _store_with_everything(tmp_path)
    (paths.data_dir / "holiday.jpg").write_bytes(b"jpeg")
    (paths.data_dir / "models").mkdir()
    linked = paths.data_dir / "models" / "mine.gguf"  # ModelManager may hard-link these
    linked.write_bytes(b"gguf")
    _make_loose(paths)
    privacy.secure(paths)
    assert mode(paths.data_dir / "holiday.jpg") == 0o644
    assert mode(linked) == 0o644 and mode(linked.parent) == 0o700
    assert mode(paths.database) == 0o600


def test_files_of_another_owner_are_reported_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _store_with_everything(tmp_path)
    _make_loose(paths)
    refused = paths.database
    real_chmod = os.chmod

    def chmod(path: Path, new: int) -> None:
        if Path(path) == refused:
            raise PermissionError(1, "Operation not permitted")
        real_chmod(path, new)

    monkeypatch.setattr(private_files.os, "chmod", chmod)
    report = privacy.secure(paths)
    assert report.failed == [refused]
    [notice] = privacy.notices(report)
    assert "1 could not be made private" in notice and str(refused) in notice


def test_windows_changes_nothing_and_does_not_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _store_with_everything(tmp_path)
    _make_loose(paths)
    monkeypatch.setattr(private_files, "POSIX", False)
    monkeypatch.setattr(privacy, "POSIX", False)
    assert private_files.restrict_umask() is None
    assert privacy.secure(paths).private and privacy.check(paths).private
    assert mode(paths.database) == 0o644


def test_socket_folder_is_the_users_own_0700_folder(tmp_path: Path) -> None:
    folder = private_runtime_dir()
    assert folder is not None
    info = folder.lstat()
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    assert mode(folder) == 0o700
    name = socket_name(tmp_path)
    assert Path(name).parent == folder and Path(name).name.startswith("membank-")


def test_sqlite_alone_would_make_a_0644_store(tmp_path: Path) -> None:
    """Why the store is created before SQLite opens it: SQLite's own default is 0644."""
    conn = sqlite3.connect(tmp_path / "plain.sqlite3")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert mode(tmp_path / "plain.sqlite3") == 0o644

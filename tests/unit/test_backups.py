"""Rolling backups: written atomically into backups/, the newest N kept, restorable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import BackupConfig, Config, resolve_paths
from app.jobs.daily import MemoryJobs
from app.transfer.backups import BackupError, backup_now, list_backups, prune, restore
from memory.clock import ManualClock
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, ScriptedLLM, make_bank
from tests.unit.wiring import Services, make_services


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Services]:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    service = make_services(Config(backup=BackupConfig(keep=3)), store, ManualClock(T0))
    service.host.attach(bank, ScriptedLLM())
    yield service
    bank.close()
    store.close()


def _chat(service: Services, text: str) -> None:
    conversation = service.chat.new_conversation()
    list(service.chat.send(conversation.id, text, cancel=threading.Event()))


def test_backups_roll_keeping_the_newest_n(service: Services, tmp_path: Path) -> None:
    clock = service.clock
    assert isinstance(clock, ManualClock)
    made = []
    for day in range(5):
        _chat(service, f"Day {day}: I watered the plants")
        made.append(backup_now(service.archive, keep=3))
        clock.advance(days=1)
    kept = list_backups(tmp_path / "backups")
    assert [b.path for b in kept] == [b.path for b in reversed(made[-3:])]  # newest first
    assert all(b.size > 0 and b.rolling for b in kept)
    assert kept[0].created > kept[1].created > kept[2].created


def test_a_half_written_backup_is_never_listed_or_counted(
    service: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    # What a kill during the export leaves (archive_writer writes a .part, then renames).
    (folder / ".membank-backup-20260501-030000.membank.x1.part").write_bytes(b"half")
    assert list_backups(folder) == []
    backup_now(service.archive, keep=1)
    backup_now(service.archive, keep=1)
    assert len(list_backups(folder)) == 1
    assert (folder / ".membank-backup-20260501-030000.membank.x1.part").exists()  # not ours to use


def test_restore_makes_the_store_the_backup_after_a_safety_archive(
    service: Services, tmp_path: Path
) -> None:
    _chat(service, "My cat is called Miso")
    backup = backup_now(service.archive, keep=7)
    before = service.store.all_memory_ids()
    _chat(service, "I moved to Berlin")
    assert service.store.all_memory_ids() != before
    report = restore(service.archive, backup.path)
    assert service.store.all_memory_ids() == before
    assert report.backup is not None and report.backup.exists()
    kinds = {(b.path.name.split("-")[0], b.rolling) for b in list_backups(tmp_path / "backups")}
    assert kinds == {("membank", True), ("before", False)}  # the safety archive is listed
    prune(tmp_path / "backups", keep=0)
    assert [b.rolling for b in list_backups(tmp_path / "backups")] == [False]  # never pruned
    with pytest.raises(BackupError, match="no backup at"):
        restore(service.archive, tmp_path / "nope.membank")


def test_the_backup_job_is_recorded(service: Services, tmp_path: Path) -> None:
    result = MemoryJobs(
        service.host,
        service.archive,
        service.clock,
        idle=__import__("datetime").timedelta(minutes=30),
    ).run("backup")
    assert result.error is None and result.counts == {"backups": 1}
    assert len(list_backups(tmp_path / "backups")) == 1


def test_one_backups_folder_for_the_rolling_backups_the_safety_archive_and_the_paths(
    service: Services, tmp_path: Path
) -> None:
    folder = resolve_paths(str(tmp_path), env={}).backups
    assert service.archive.backups_dir == folder == tmp_path / "backups"
    _chat(service, "My cat is called Miso")
    rolling = backup_now(service.archive, keep=7)
    report = restore(service.archive, rolling.path)
    assert rolling.path.parent == folder
    assert report.backup is not None and report.backup.parent == folder

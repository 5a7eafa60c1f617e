"""PrivacyService.forget and ArchiveService export, import_archive, import_file (the GUI calls)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from app.config import Config
from app.engine.host import ModelsNotReadyError
from memory.archive.writer import ExportFilter
from memory.clock import ManualClock
from memory.errors import ArchiveError
from memory.records import Kind
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, ScriptedLLM, make_bank
from tests.unit.test_file_import import chatgpt_export
from tests.unit.wiring import Services, make_services


def _service(folder: Path) -> Services:
    store = SQLiteStore(folder / "membank.sqlite3")
    service = make_services(Config(), store, ManualClock(T0))
    service.host.attach(make_bank(folder, store=store), ScriptedLLM())
    return service


def _close(service: Services) -> None:
    assert service.host.models.bank is not None
    service.host.models.bank.close()
    service.store.close()


def test_export_then_import_into_another_service_and_forget(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = _service(tmp_path / "a"), _service(tmp_path / "b")
    try:
        chat = a.chat.new_conversation()
        list(a.chat.send(chat.id, "My locker code is 4711", cancel=threading.Event()))
        a.curation.remember("Dentist on Friday")
        report = a.archive.export(tmp_path / "out.membank", passphrase="pw")
        assert report.encrypted and report.counts["memories"] == 2
        notes_only = a.archive.export(tmp_path / "notes.membank", ExportFilter(kinds=("note",)))
        assert notes_only.counts["memories"] == 1

        with pytest.raises(ArchiveError):
            b.archive.import_archive(tmp_path / "out.membank", passphrase="wrong")
        assert b.curation.memories() == []
        imported = b.archive.import_archive(tmp_path / "out.membank", "merge", "pw")
        assert imported.added["memories"] == 2
        texts = {m.text for m in b.curation.memories()}
        assert texts == {"My locker code is 4711", "Dentist on Friday"}
        replaced = b.archive.import_archive(tmp_path / "notes.membank", "replace")
        assert replaced.backup is not None and replaced.backup.parent.name == "backups"
        assert [m.text for m in b.curation.memories()] == ["Dentist on Friday"]

        locker = next(m for m in a.curation.memories() if "4711" in m.text)
        forgotten = a.privacy.forget([locker.id])
        assert forgotten.forgotten == (locker.id,)
        assert all("4711" not in m.text for m in a.curation.memories())
    finally:
        _close(a)
        _close(b)


def test_import_file_guesses_the_format(tmp_path: Path) -> None:
    service = _service(tmp_path)
    try:
        path = tmp_path / "conversations.json"
        path.write_text(json.dumps(chatgpt_export()), encoding="utf-8")
        report = service.archive.import_file(path)
        assert report.format == "chatgpt" and report.memories == 2
        assert {m.kind for m in service.curation.memories()} == {Kind.TURN}
    finally:
        _close(service)


def test_import_needs_the_models(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    service = make_services(Config(), store, ManualClock(T0))
    try:
        with pytest.raises(ModelsNotReadyError):
            service.privacy.forget(["abcd"])
        with pytest.raises(ModelsNotReadyError):
            service.archive.import_file(tmp_path)
        assert service.archive.export(tmp_path / "empty.membank").counts["memories"] == 0
    finally:
        store.close()

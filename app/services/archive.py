"""ArchiveService: .membank archives out and in, and imports of other formats."""

from __future__ import annotations

from pathlib import Path

from app.config import backups_folder
from app.engine.host import ModelHost
from app.transfer.formats import FileImportReport, detect_format, import_file
from memory.archive.reader import read_archive
from memory.archive.restore import ImportReport
from memory.archive.restore import import_archive as apply_archive
from memory.archive.writer import ExportFilter, ExportReport, Phase, export_archive
from memory.clock import Clock
from memory.storage.store import SQLiteStore


class ArchiveService:
    def __init__(self, store: SQLiteStore, host: ModelHost, clock: Clock) -> None:
        self.store = store
        self.host = host
        self.clock = clock

    @property
    def backups_dir(self) -> Path:
        """Rolling backups and the safety archives of replacing imports."""
        return backups_folder(self.store.path.parent)  # the store lives in the data folder

    def export(
        self,
        path: Path,
        selection: ExportFilter | None = None,
        *,
        embeddings: bool = True,
        passphrase: str | None = None,
        on_phase: Phase = lambda _: None,
    ) -> ExportReport:
        """Write a .membank archive (atomically); the vectors go in when the models are loaded."""
        with self.host.lease() as models:
            return export_archive(
                self.store,
                Path(path),
                self.clock.now(),
                selection=selection,
                bank=models.bank if embeddings else None,
                passphrase=passphrase,
                on_phase=on_phase,
            )

    def import_archive(
        self,
        path: Path,
        mode: str = "merge",
        passphrase: str | None = None,
        on_phase: Phase = lambda _: None,
    ) -> ImportReport:
        """Validate a .membank archive completely, then merge or replace (after a backup in the
        data folder's `backups/`); a bad archive changes nothing."""
        contents = read_archive(Path(path), passphrase)
        with self.host.lease() as models:
            bank = models.require_bank()
            return apply_archive(
                bank,
                contents,
                self.clock.now(),
                mode=mode,
                backup_dir=self.backups_dir,
                on_phase=on_phase,
            )

    def import_file(self, path: Path, fmt: str | None = None) -> FileImportReport:
        """Import a ChatGPT export, a folder of notes or LoCoMo JSON (`fmt` guessed if None)."""
        path = Path(path)
        with self.host.lease() as models:
            bank = models.require_bank()
            return import_file(bank, path, fmt or detect_format(path), self.clock.now())

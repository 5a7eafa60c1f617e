"""Rolling backups: a dated archive of everything in `<data_dir>/backups/`, the newest N kept.

An archive is written to a temporary `.part` file and renamed (memory.archive.writer), so a
kill mid-backup leaves no half file under a backup's name, and `.part` files are never listed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from memory.archive.restore import ImportReport
from memory.archive.writer import ExportReport, Phase
from memory.clock import Clock
from models.errors import MembankError
from models.private_files import private_dir

log = logging.getLogger(__name__)
PREFIX = "membank-backup-"
# Rolling backups, and the safety archive a replacing import writes first.
NAME = re.compile(r"^(membank-backup|before-import)-(\d{8}-\d{6})(-\d+)?\.membank$")


class Archives(Protocol):
    """What backups need of the archive service (app/services/archive.py), which imports this
    package's readers: a Protocol keeps app.transfer from importing app.services back."""

    clock: Clock

    @property
    def backups_dir(self) -> Path: ...

    def export(self, path: Path) -> ExportReport: ...

    def import_archive(
        self, path: Path, mode: str = ..., passphrase: str | None = ..., on_phase: Phase = ...
    ) -> ImportReport: ...


class BackupError(MembankError):
    title = "Backup problem"


@dataclass(frozen=True)
class Backup:
    path: Path
    created: datetime  # local time, from the name
    size: int
    rolling: bool  # False: a safety archive from before a replacing import (never pruned)


def list_backups(folder: Path) -> list[Backup]:
    """The backups in `folder`, newest first."""
    found: list[tuple[datetime, int, Backup]] = []
    if not folder.is_dir():
        return []
    for path in folder.iterdir():
        match = NAME.match(path.name)
        if match and path.is_file():
            created = datetime.strptime(match.group(2), "%Y%m%d-%H%M%S")
            rolling = match.group(1) == "membank-backup"
            order = int((match.group(3) or "-0")[1:])
            found.append((created, order, Backup(path, created, path.stat().st_size, rolling)))
    return [b for _, _, b in sorted(found, key=lambda t: (t[0], t[1]), reverse=True)]


def backup_now(archive: Archives, keep: int, folder: Path | None = None) -> Backup:
    """Write a new rolling backup, then delete the oldest beyond `keep`."""
    folder = folder or archive.backups_dir
    try:
        private_dir(folder)
    except OSError as exc:
        raise BackupError(
            f"The backup folder {folder} cannot be created ({exc.strerror or exc}). "
            "Free some space or fix its permissions."
        ) from exc
    stamp = archive.clock.now().astimezone().strftime("%Y%m%d-%H%M%S")
    path = folder / f"{PREFIX}{stamp}.membank"
    n = 1
    while path.exists():  # two backups in one second
        path = folder / f"{PREFIX}{stamp}-{n}.membank"
        n += 1
    report = archive.export(path)
    log.info("backup written: %s (%d bytes)", path.name, report.size)
    prune(folder, keep)
    return next(b for b in list_backups(folder) if b.path == path)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the rolling backups beyond the newest `keep`; safety archives stay."""
    old = [b.path for b in list_backups(folder) if b.rolling][keep:]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def restore(archive: Archives, path: Path, on_phase: Phase = lambda _: None) -> ImportReport:
    """Make the store exactly the backup (a replacing import, which first writes a safety
    archive of the current store beside the backups)."""
    if not Path(path).is_file():
        raise BackupError(f"There is no backup at {path}. `membank-cli backup list` shows them.")
    return archive.import_archive(Path(path), mode="replace", on_phase=on_phase)

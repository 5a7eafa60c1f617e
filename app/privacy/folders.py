"""membank's folders are the user's alone: created 0700, loose ones tightened at start, told once.

Only what membank keeps is touched: the data folder, the names it writes in it, the config and
log folders. A data folder the user pointed at a shared place (``data_dir = "~/Documents"``)
keeps the user's other files as they were.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from app.config import Paths
from models.private_files import POSIX, find_loose, private_dir, restrict_umask, tighten

log = logging.getLogger(__name__)

# What membank writes in its data folder (besides names starting with "membank").
DATA_ENTRIES = frozenset(
    {"chroma", "backups", "logs", "models", "config.toml", "config.toml.tmp", "index-namespace.txt"}
)
# Model files may be hard links to the user's own copies (ModelManager.add links them): a chmod
# would change those too. Their folder is 0700, which keeps other accounts out all the same.
FOLDERS_ONLY = ("models",)


@dataclass(frozen=True)
class PermissionReport:
    loose: list[tuple[Path, int]] = field(default_factory=list)  # (path, mode) when found
    failed: list[Path] = field(default_factory=list)  # could not be made private

    @property
    def private(self) -> bool:
        return not self.loose and not self.failed

    def as_json(self) -> dict[str, object]:
        return {
            "private": self.private,
            "loose": [{"path": str(p), "mode": f"{m:o}"} for p, m in self.loose],
            "not_fixed": [str(p) for p in self.failed],
        }


def protect_process() -> None:
    """Start-up of every entry point: files this process creates, libraries' included, are
    owner-only from here on (umask 077)."""
    restrict_umask()


def folders(paths: Paths) -> list[Path]:
    """The folders membank creates 0700: data, config, logs."""
    return list(dict.fromkeys([paths.data_dir, paths.config_file.parent, paths.log_dir]))


def _roots(paths: Paths) -> tuple[list[Path], list[Path], list[Path]]:
    """What to look at: (trees, paths alone, trees whose files are left as they are)."""
    data = paths.data_dir
    trees: list[Path] = []
    if data.is_dir():
        trees += sorted(
            p for p in data.iterdir() if p.name in DATA_ENTRIES or p.name.startswith("membank")
        )
    trees += [f for f in folders(paths)[1:] if not f.is_relative_to(data)]
    if not paths.config_file.is_relative_to(data):
        trees.append(paths.config_file)
    return trees, [data], [data / name for name in FOLDERS_ONLY]


def check(paths: Paths) -> PermissionReport:
    """What other accounts could use now (changes nothing)."""
    trees, alone, folders_only = _roots(paths)
    return PermissionReport(loose=find_loose(trees, alone=alone, folders_only=folders_only))


def secure(paths: Paths) -> PermissionReport:
    """Create the data, config and log folders 0700; make what membank keeps there private."""
    if not POSIX:
        return PermissionReport()
    found = check(paths).loose
    failed: list[Path] = []
    for folder in folders(paths):
        try:
            private_dir(folder)
        except OSError as exc:  # not ours, or read-only: the notice says so
            log.info("cannot make %s private: %s", folder, exc)
            failed.append(folder)
    failed += [p for p in tighten(p for p, _ in found) if p not in failed]
    if found:
        log.info("made %d files and folders private", len(found) - len(failed))
    return PermissionReport(found, failed)


def notices(report: PermissionReport) -> list[str]:
    """What to tell the user after `secure` at start-up: nothing when all was private already,
    so it is said once (the next start finds everything private)."""
    if not report.loose and not report.failed:
        return []
    parts = []
    if report.loose:
        path, mode = report.loose[0]
        parts.append(
            f"Other accounts on this computer could read your membank data ({len(report.loose)} "
            f"files and folders, e.g. {path} with mode {mode:o})."
        )
        if len(report.failed) < len(report.loose):
            parts.append("They are now private to you (owner-only).")
    if report.failed:
        uid = os.getuid() if hasattr(os, "getuid") else "?"
        parts.append(
            f"{len(report.failed)} could not be made private, e.g. {report.failed[0]}: it "
            f"belongs to another account or is read-only. Fix it with chown/chmod (you are "
            f"uid {uid}), then run `membank-cli doctor`."
        )
    return [" ".join(parts)]

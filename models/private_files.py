"""Owner-only files: folders 0700 and files 0600, whatever the umask (issue 17).

It lives in the lowest layer so every writer can use it: the store and index (memory/), the
model downloads (models/hub/), config, logs, backups and exports (app/). On Windows, where
chmod only toggles the read-only flag and a user's profile folder is already private to that
user by its ACLs, every function here leaves modes alone.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

DIR_MODE = 0o700
FILE_MODE = 0o600
PRIVATE_UMASK = 0o077
POSIX = os.name == "posix"


def restrict_umask() -> int | None:
    """Make everything this process creates from now on owner-only, libraries' files too
    (Chroma, SQLite, Qt). Returns the previous umask (None where umask means nothing)."""
    if not POSIX:
        return None
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) with the folder itself 0700. A folder that exists is
    left as it is: start-up tightens those and tells the user (app/privacy), `doctor` only
    reports them."""
    if path.is_dir():
        return path
    path.mkdir(parents=True, exist_ok=True)
    if POSIX:
        os.chmod(path, DIR_MODE)
    return path


def make_private(path: Path) -> None:
    """chmod an existing file to 0600 or folder to 0700 (no-op on Windows)."""
    if POSIX:
        os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)


def create_private_file(path: Path) -> Path:
    """Create `path` as an empty 0600 file (its folder 0700) unless it exists; e.g. before
    SQLite opens it, so its -wal and -shm files, which get the database's mode, are 0600 too."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    try:
        if POSIX:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def open_private(path: Path, mode: str = "wb", encoding: str | None = None) -> IO[Any]:
    """open() for writing that creates the file 0600 (and tightens one that exists)."""
    flags = os.O_WRONLY | os.O_CREAT
    if "a" in mode:
        flags |= os.O_APPEND
    elif "x" in mode:
        flags |= os.O_EXCL
    else:
        flags |= os.O_TRUNC
    flags |= getattr(os, "O_BINARY", 0)  # as open() does on Windows; text mode is io's job
    fd = os.open(path, flags, FILE_MODE)
    try:
        if POSIX:
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, encoding=None if "b" in mode else (encoding or "utf-8"))
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: Path, text: str) -> None:
    with open_private(path, "w") as fh:
        fh.write(text)


def is_loose(mode: int) -> bool:
    """Can another account read, write or enter it (any group or other bit)?"""
    return bool(mode & 0o077)


def _walk(root: Path, *, files: bool) -> Iterator[Path]:
    """`root` and, for a folder, everything below it; symlinks are neither followed nor
    changed (chmod would change what they point to)."""
    if root.is_symlink() or not root.exists():
        return
    yield root
    if not root.is_dir():
        return
    for folder, dirnames, filenames in os.walk(root):
        base = Path(folder)
        for name in dirnames:
            if not (base / name).is_symlink():
                yield base / name
        if files:
            for name in filenames:
                if not (base / name).is_symlink():
                    yield base / name


def find_loose(
    roots: Iterable[Path], *, alone: Iterable[Path] = (), folders_only: Iterable[Path] = ()
) -> list[tuple[Path, int]]:
    """The folders and files in and under `roots`, and the paths in `alone` (not what is in
    them), that other accounts may use, with their modes. Under a root in `folders_only` only
    the folders are looked at (a 0700 folder already keeps others out)."""
    if not POSIX:
        return []
    shallow = {p.resolve() for p in folders_only}
    candidates = [p for p in alone if p.exists() and not p.is_symlink()]
    for root in roots:
        candidates += _walk(root, files=root.resolve() not in shallow)
    found: dict[Path, int] = {}
    for path in candidates:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except OSError:
            continue  # gone meanwhile
        if is_loose(mode):
            found[path] = mode
    return list(found.items())


def tighten(paths: Iterable[Path]) -> list[Path]:
    """Make each path owner-only; returns those that could not be changed."""
    failed: list[Path] = []
    for path in paths:
        try:
            make_private(path)
        except OSError:
            failed.append(path)
    return failed

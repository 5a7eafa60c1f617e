"""Local IPC for one OS user: where the single-instance socket lives (STYLE.md §3).

On Linux and macOS the socket goes in a 0700 folder of the user's own (platformdirs'
user_runtime_dir: $XDG_RUNTIME_DIR/membank, or its private fallback under the temp folder), so
other accounts can neither connect to it nor put a socket of theirs in its place; the server
also sets Qt's UserAccessOption (a 0600 socket). On Windows a named pipe, restricted to the
user by the same option. membank listens on no network port.
"""

from __future__ import annotations

import hashlib
import os
import stat
import warnings
from pathlib import Path

import platformdirs

from app.config import APP_NAME
from models.private_files import POSIX, is_loose, private_dir


def private_runtime_dir() -> Path | None:
    """The user's own 0700 runtime folder for membank, or None (Windows, or no safe folder)."""
    if not POSIX:
        return None
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, su, cron) and falls back to
            # a private folder in the temp dir, which it checks; that is fine for a socket.
            warnings.simplefilter("ignore")
            folder = Path(platformdirs.PlatformDirs(APP_NAME, ensure_exists=True).user_runtime_dir)
        private_dir(folder)
        info = folder.lstat()
    except OSError:
        return None
    mine = info.st_uid == os.getuid()
    if not stat.S_ISDIR(info.st_mode) or not mine or is_loose(stat.S_IMODE(info.st_mode)):
        return None
    return folder


def socket_name(data_dir: Path) -> str:
    """The single-instance server's name for `data_dir`: a socket path in the private runtime
    folder where there is one, else a bare name (Qt puts it in the temp folder)."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    name = f"membank-{digest}"
    folder = private_runtime_dir()
    return str(folder / name) if folder is not None else name

"""Local IPC for one OS user: where the single-instance socket lives (STYLE.md §3).

On Linux and macOS the socket goes in a 0700 folder of the user's own (platformdirs'
user_runtime_dir: $XDG_RUNTIME_DIR/membank, or its private fallback under the temp folder), so
other accounts can neither connect to it nor put a socket of theirs in its place; the server
also sets Qt's UserAccessOption (a 0600 socket). On Windows a named pipe, restricted to the
user by the same option, and for membank-mcp's hand-off a loopback TCP port guarded by a token in
a 0600 file (below): Python has no client for Qt's pipes.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app.config import APP_NAME
from models.private_files import POSIX, is_loose, private_dir, write_private_text


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


# Where there are no Unix sockets (Windows), membank-mcp reaches the window over loopback TCP
# instead: the window listens on 127.0.0.1 at a free port and writes the port and a fresh random
# token to a 0600 file in the (0700) data folder; a client must send the token first. Reading
# the file is what proves it is the same user. MEMBANK_IPC=tcp forces this path (tests on Linux).
IPC_ENV = "MEMBANK_IPC"
ENDPOINT_FILE = "mcp-endpoint.json"


def use_tcp() -> bool:
    return not hasattr(socket, "AF_UNIX") or os.environ.get(IPC_ENV, "").lower() == "tcp"


@dataclass(frozen=True)
class TcpEndpoint:
    port: int
    token: str


def endpoint_path(data_dir: Path) -> Path:
    return data_dir / ENDPOINT_FILE


def write_endpoint(data_dir: Path, endpoint: TcpEndpoint) -> Path:
    path = endpoint_path(data_dir)
    tmp = path.with_name(path.name + ".tmp")
    write_private_text(tmp, json.dumps({"port": endpoint.port, "token": endpoint.token}))
    os.replace(tmp, path)
    return path


def read_endpoint(data_dir: Path) -> TcpEndpoint | None:
    """The running window's port and token, or None (no window, or not a file of ours)."""
    path = endpoint_path(data_dir)
    try:
        if POSIX and (path.stat().st_uid != os.getuid() or is_loose(path.stat().st_mode & 0o777)):
            return None  # someone else's file, or one others could have written: not trusted
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    port, token = raw.get("port"), raw.get("token")
    if isinstance(port, int) and 0 < port < 65536 and isinstance(token, str) and len(token) >= 32:
        return TcpEndpoint(port, token)
    return None


def new_token() -> str:
    return secrets.token_hex(32)

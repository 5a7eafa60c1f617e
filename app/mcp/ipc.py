"""The hand-off of MCP tool calls to a running membank window, over its single-instance socket.

One request per connection: the line `mcp {json}` goes in, one JSON line comes back
(`{"ok": true, "result": ...}` or `{"ok": false, "error": "..."}`). The window runs the call on
its store executor, so the data folder keeps its one writer. Same OS user only: the socket is
the window's QLocalServer (STYLE.md §3). Where there are no Unix sockets (Windows, or
MEMBANK_IPC=tcp) the window listens on loopback TCP instead, and a connection must first send
`token <the token in the data folder's 0600 mcp-endpoint.json>` (app/privacy/ipc.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.privacy.ipc import read_endpoint, socket_name, use_tcp

PREFIX = "mcp "
TOKEN_PREFIX = "token "
LOOPBACK = "127.0.0.1"
VERSION = 1
MAX_LINE = 16 * 1024 * 1024


def socket_address(data_dir: Path) -> str:
    """Where the window's QLocalServer listens on Unix: the private runtime folder's socket
    (app/privacy/ipc.py), or, for a bare name, QDir::tempPath() ($TMPDIR, else /tmp)."""
    name = socket_name(data_dir)
    if os.path.isabs(name):
        return name
    return os.path.join(os.path.normpath(os.environ.get("TMPDIR") or "/tmp"), name)


@dataclass(frozen=True)
class McpRequest:
    client: str
    tool: str
    args: dict[str, Any]

    def encode(self) -> bytes:
        body = {"v": VERSION, "client": self.client, "tool": self.tool, "args": self.args}
        return (PREFIX + json.dumps(body, ensure_ascii=True) + "\n").encode()

    @staticmethod
    def decode(line: str) -> McpRequest:
        """From a line without its prefix; ValueError if it is not a request."""
        raw = json.loads(line)
        if not isinstance(raw, dict) or raw.get("v") != VERSION:
            raise ValueError("not an MCP request of this version")
        client, tool, args = raw.get("client"), raw.get("tool"), raw.get("args")
        if not isinstance(client, str) or not isinstance(tool, str) or not isinstance(args, dict):
            raise ValueError("an MCP request needs client, tool and args")
        return McpRequest(client, tool, args)


def ok_line(result: Any) -> bytes:
    return (json.dumps({"ok": True, "result": result}, ensure_ascii=True) + "\n").encode()


def error_line(message: str) -> bytes:
    return (json.dumps({"ok": False, "error": message}, ensure_ascii=True) + "\n").encode()


class NoInstance(Exception):
    """No membank window answers for this data folder (none runs, or it is starting)."""


class InstanceError(Exception):
    """The window answered with a refusal or an error; the message is for the user."""


def call_running(
    data_dir: Path, request: McpRequest, *, connect_timeout: float = 2.0, timeout: float = 180.0
) -> Any:
    """Hand `request` to the window that owns `data_dir`: its result, InstanceError, or
    NoInstance when nobody listens (a stale socket from a crashed window counts as nobody)."""
    sock, hello = _connect(data_dir, connect_timeout)
    try:
        sock.settimeout(timeout)
        sock.sendall(hello + request.encode())
        line = _read_line(sock)
    finally:
        with contextlib.suppress(OSError):
            sock.close()
    if not line:
        raise NoInstance("the window closed the connection without answering")
    reply = json.loads(line)
    if reply.get("ok"):
        return reply.get("result")
    raise InstanceError(str(reply.get("error") or "membank could not do that."))


def window_running(data_dir: Path) -> bool:
    """Whether a membank window listens for `data_dir` right now."""
    try:
        sock, _ = _connect(data_dir, 1.0)
    except NoInstance:
        return False
    sock.close()
    return True


def _connect(data_dir: Path, timeout: float) -> tuple[socket.socket, bytes]:
    """A connection to the window and what to send before the request (the token over TCP);
    NoInstance when nobody listens (missing, refused or stale socket, no endpoint file)."""
    if use_tcp():
        endpoint = read_endpoint(data_dir)
        if endpoint is None:
            raise NoInstance("no membank window has published a loopback endpoint")
        address: Any = (LOOPBACK, endpoint.port)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hello = (TOKEN_PREFIX + endpoint.token + "\n").encode()
    else:
        address = socket_address(data_dir)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hello = b""
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError as exc:  # missing, refused (stale), or not ours: nobody to hand to
        sock.close()
        raise NoInstance(str(exc)) from exc
    return sock, hello


def _read_line(sock: socket.socket) -> str:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if chunk.endswith(b"\n") or size > MAX_LINE:
            break
    return b"".join(chunks).decode("utf-8", errors="replace").strip()

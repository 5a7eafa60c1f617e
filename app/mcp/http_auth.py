"""`membank-mcp --http --token`: streamable HTTP that answers only requests carrying
`Authorization: Bearer <token>`, the token kept in the data folder's 0600 `mcp-http-token`.

Loopback alone lets every local account and every local program in; the token narrows that to
what the user configured (Open WebUI's "Bearer" auth). Without --token, nothing changes.
"""

from __future__ import annotations

import hmac
import os
import stat
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from app.privacy.ipc import new_token
from models.private_files import POSIX, is_loose, write_private_text

TOKEN_FILE = "mcp-http-token"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def http_token(data_dir: Path) -> str:
    """The token in `data_dir`/mcp-http-token, made (0600) on first use; a file others could
    read is replaced with a new token."""
    path = data_dir / TOKEN_FILE
    try:
        info = path.stat()
        trusted = not POSIX or (
            info.st_uid == os.getuid() and not is_loose(stat.S_IMODE(info.st_mode))
        )
        token = path.read_text(encoding="utf-8").strip() if trusted else ""
    except OSError:
        token = ""
    if len(token) < 32:
        token = new_token()
        data_dir.mkdir(parents=True, exist_ok=True)
        write_private_text(path, token + "\n")
    return token


class BearerToken:
    """ASGI middleware: HTTP requests without the token get 401 and never reach the server."""

    def __init__(self, app: App, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"www-authenticate", b'Bearer realm="membank"'),
                        ],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"membank-mcp: this server needs its bearer token "
                        b"(membank-cli mcp config open-webui --token prints it).\n",
                    }
                )
                return
        await self.app(scope, receive, send)

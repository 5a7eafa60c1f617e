"""Ready-to-paste settings that connect an MCP app to membank: where each app keeps them, and
the entry itself with absolute paths (apps spawn `membank-mcp` without a shell: no `~`, no
PATH lookup into a virtual environment)."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from app.config import Config, McpClientConfig, Permission


@dataclass(frozen=True)
class ClientSetup:
    app: str  # as the user knows it
    client: str  # the --client name: how membank lists it and looks up its permission
    where: str  # where the entry goes
    snippet: str  # what to paste


def mcp_command() -> str:
    """The absolute path of `membank-mcp` beside the Python running membank, else on PATH."""
    beside = Path(sys.executable).parent / "membank-mcp"
    if beside.is_file():
        return str(beside.resolve())
    found = shutil.which("membank-mcp")
    return str(Path(found).resolve()) if found else str(beside)


def _args(client: str, data_dir: str | None) -> list[str]:
    return ["--client", client] + (["--data-dir", data_dir] if data_dir else [])


def _mcp_json(command: str, client: str, data_dir: str | None) -> str:
    entry = {"mcpServers": {"membank": {"command": command, "args": _args(client, data_dir)}}}
    return json.dumps(entry, indent=2)


def client_setups(command: str, data_dir: str | None = None) -> list[ClientSetup]:
    """One entry per app; `data_dir`: only when this membank runs on a non-default folder."""
    shell_args = " ".join(_args("open-webui", data_dir))
    jan_args = " ".join(_args("jan", data_dir))
    return [
        ClientSetup(
            "Claude Desktop",
            "claude-desktop",
            "Settings > Developer > Edit Config (claude_desktop_config.json); restart Claude.",
            _mcp_json(command, "claude-desktop", data_dir),
        ),
        ClientSetup(
            "Cursor",
            "cursor",
            "~/.cursor/mcp.json (or Settings > MCP > Add new global MCP server).",
            _mcp_json(command, "cursor", data_dir),
        ),
        ClientSetup(
            "Jan",
            "jan",
            "Settings > MCP Servers > + : paste the command and the arguments.",
            f"Command:   {command}\nArguments: {jan_args}",
        ),
        ClientSetup(
            "LM Studio",
            "lm-studio",
            "Program > Install > Edit mcp.json.",
            _mcp_json(command, "lm-studio", data_dir),
        ),
        ClientSetup(
            "Open WebUI",
            "open-webui",
            "Run this (mcpo turns MCP into OpenAPI), then add http://localhost:8000 in "
            "Settings > Tools.",
            f"uvx mcpo --host 127.0.0.1 --port 8000 -- {command} {shell_args}",
        ),
    ]


def with_client(config: Config, client: str, permission: Permission, space: str) -> Config:
    """`config` with this app's permission and space set (before its first call, too)."""
    clients = dict(config.mcp.clients)
    clients[client] = McpClientConfig(permission=permission, space=space)
    return config.model_copy(update={"mcp": config.mcp.model_copy(update={"clients": clients})})

"""What Connected apps → Add an app offers to paste: the same recipes `membank-cli mcp config`
prints (app/mcp/recipes.py), one per host, each with where it goes."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from app.config import Config, McpClientConfig, Permission
from app.mcp.recipes import HOSTS, Command, RecipeError, recipe_text, server_command


@dataclass(frozen=True)
class ClientSetup:
    app: str  # as the user knows it
    client: str  # the --client name: how membank lists it and looks up its permission
    where: str  # where the entry goes
    snippet: str  # what to paste


def mcp_command() -> Command:
    """What starts membank-mcp (an absolute path; the AppImage with --mcp inside one); the path
    beside this Python when it is not installed (the entry then says where it would be)."""
    try:
        return server_command()
    except RecipeError:
        return str(Path(sys.executable).parent / "membank-mcp")


def client_setups(command: Command, data_dir: str | None, http_port: int) -> list[ClientSetup]:
    """One entry per host; `data_dir`: only when this membank runs on a non-default folder."""
    folder = Path(data_dir) if data_dir else None
    return [
        ClientSetup(
            host.title,
            host.name,
            host.where + ".",
            recipe_text(host, command, folder, http_port).rstrip("\n"),
        )
        for host in HOSTS.values()
    ]


def with_client(config: Config, client: str, permission: Permission, space: str) -> Config:
    """`config` with this app's permission and space set (before its first call, too)."""
    clients = dict(config.mcp.clients)
    clients[client] = McpClientConfig(permission=permission, space=space)
    return config.model_copy(update={"mcp": config.mcp.model_copy(update={"clients": clients})})

"""The "Connected apps" data: which apps reached membank over MCP, when, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.config import Config, McpClientConfig, McpConfig, Permission
from app.mcp.gateway import permission_for
from memory.storage.audit import APP_PREFIX as APP
from memory.storage.audit import RowReader, entries


@dataclass(frozen=True)
class ConnectedApp:
    name: str
    permission: Permission
    configured: bool  # listed in config.toml (else the default permission applies)
    last_access: datetime | None
    calls: int  # among the recent audit entries
    refused: int
    last_tool: str
    space: str = "personal"  # the memory space it reads and writes


def connected_apps(store: RowReader, config: McpConfig, recent: int = 2000) -> list[ConnectedApp]:
    """Apps seen in the last `recent` audit entries, plus those configured, most recent first."""
    seen: dict[str, list[tuple[datetime, str, str]]] = {}
    for entry in entries(store, limit=recent):
        # "mcp" alone: entries written before each app had its own actor name.
        if entry.event != "accessed" or not (entry.actor == "mcp" or entry.actor.startswith(APP)):
            continue
        client = str(entry.detail.get("client", "unknown"))
        seen.setdefault(client, []).append(
            (entry.at, str(entry.detail.get("tool", "")), str(entry.detail.get("outcome", "")))
        )
    names = set(seen) | set(config.clients)
    apps = []
    for name in names:
        calls = seen.get(name, [])  # newest first
        apps.append(
            ConnectedApp(
                name,
                permission_for(config, name),
                name in config.clients,
                calls[0][0] if calls else None,
                len(calls),
                sum(1 for _, _, outcome in calls if outcome == "refused"),
                calls[0][1] if calls else "",
                config.clients[name].space if name in config.clients else "personal",
            )
        )
    return sorted(
        apps, key=lambda a: (a.last_access is None, -(a.last_access or _EPOCH).timestamp(), a.name)
    )


def with_permission(config: Config, client: str, permission: Permission) -> Config:
    """`config` with this app's permission set (the rest unchanged)."""
    clients = dict(config.mcp.clients)
    old = clients.get(client, McpClientConfig())
    clients[client] = old.model_copy(update={"permission": permission})  # its space stays
    broken = {name: b for name, b in config.mcp.broken.items() if name != client}  # replaced
    mcp = config.mcp.model_copy(update={"clients": clients, "broken": broken})
    return config.model_copy(update={"mcp": mcp})


_EPOCH = datetime(1970, 1, 1).astimezone()

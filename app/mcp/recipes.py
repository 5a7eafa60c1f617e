"""What each AI app needs to start membank-mcp: its config entry, where its file is, and the merge.

Hosts such as Claude Desktop, Cursor and LM Studio spawn the server without a shell: nothing
expands `~` and nothing looks the name up on a PATH that reaches into a venv, so the command is
always an absolute path. Each host gets its own `--client NAME`, hence its own permission and
audit name (hosts built on the MCP SDK all introduce themselves as "mcp").
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from models.errors import MembankError
from models.private_files import open_private

SERVER_KEY = "membank"  # the entry's name in the host's list of servers
LOOPBACK = "127.0.0.1"  # membank-mcp --http binds this and nothing else


class RecipeError(MembankError):
    title = "Could not set up the app"


@dataclass(frozen=True)
class Host:
    name: str  # the CLI's name for it, and the --client name it gets
    title: str
    servers_key: str  # "mcpServers", or "servers" (VS Code)
    where: str  # where the user pastes it, in the app's words
    stdio_type: bool = False  # the entry carries "type": "stdio" (VS Code)
    http: bool = False  # the app speaks streamable HTTP only (Open WebUI)
    installable: bool = True  # a JSON file of the user's we can merge into


HOSTS: dict[str, Host] = {
    h.name: h
    for h in (
        Host(
            "claude-desktop",
            "Claude Desktop",
            "mcpServers",
            "Settings > Developer > Edit Config (claude_desktop_config.json); restart Claude",
        ),
        Host("cursor", "Cursor", "mcpServers", "~/.cursor/mcp.json (Settings > MCP)"),
        Host(
            "jan",
            "Jan",
            "mcpServers",
            "Settings > MCP Servers > + : Transport STDIO, then the command, each argument and "
            "each variable below",
            installable=False,
        ),
        Host(
            "lm-studio",
            "LM Studio",
            "mcpServers",
            "the Program tab > Install > Edit mcp.json (~/.lmstudio/mcp.json)",
        ),
        Host(
            "vscode",
            "VS Code",
            "servers",
            "the user mcp.json (Command Palette: MCP: Open User Configuration)",
            stdio_type=True,
        ),
        Host(
            "open-webui",
            "Open WebUI",
            "",
            "Admin Settings > External Tools > + : Type MCP (Streamable HTTP), the URL "
            "printed, Auth None",
            http=True,
            installable=False,
        ),
    )
}


def server_command() -> tuple[str, list[str]]:
    """The absolute path that starts membank-mcp, and the arguments that come first: the
    AppImage file itself with --mcp (its mount point changes at every start), else membank-mcp
    as installed beside this program (venv, user or system install, or the bundle folder)."""
    appimage = os.environ.get("APPIMAGE", "")
    if getattr(sys, "frozen", False) and appimage and os.path.isabs(appimage):
        return appimage, ["--mcp"]
    return _installed_server(), []


def _installed_server() -> str:
    """RecipeError if there is none."""
    name = "membank-mcp.exe" if os.name == "nt" else "membank-mcp"
    candidates = [Path(sys.executable).parent / name]  # a venv's bin/, or the bundle's folder
    if not getattr(sys, "frozen", False):
        for scheme in (None, f"{os.name}_user"):
            try:
                folder = sysconfig.get_path("scripts", scheme) if scheme else None
                folder = folder or sysconfig.get_path("scripts")
            except KeyError:
                continue
            candidates.append(Path(folder) / name)
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path.absolute())
    raise RecipeError(
        "membank-mcp is not installed next to membank-cli "
        f"(looked in {', '.join(sorted({str(p.parent) for p in candidates}))}). "
        "Reinstall membank (pip install -e . in its folder), then run this again."
    )


def server_args(
    client: str, data_dir: Path | None, *, http: bool = False, port: int = 0, token: bool = False
) -> list[str]:
    args = ["--client", client]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    if http:
        args += ["--http"] + (["--port", str(port)] if port else [])
        args += ["--token"] if token else []
    return args


Command = str | tuple[str, list[str]]  # a path, or a path and the arguments that come first


def _split(command: Command) -> tuple[str, list[str]]:
    return (command, []) if isinstance(command, str) else command


def entry(host: Host, command: Command, data_dir: Path | None) -> dict[str, Any]:
    """The host's entry for membank: command, args and env (env stays empty: everything the
    server needs is in its arguments, which every host shows to its user)."""
    path, first = _split(command)
    item: dict[str, Any] = {"type": "stdio"} if host.stdio_type else {}
    item |= {"command": path, "args": [*first, *server_args(host.name, data_dir)], "env": {}}
    return item


def snippet(host: Host, command: Command, data_dir: Path | None) -> dict[str, Any]:
    """What the user pastes into the host's config file (its whole shape, one server)."""
    return {host.servers_key: {SERVER_KEY: entry(host, command, data_dir)}}


def http_url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}/mcp"


def recipe_text(
    host: Host, command: Command, data_dir: Path | None, port: int, token: str = ""
) -> str:
    """What `membank-cli mcp config HOST` prints (and a Connected apps view can show): the JSON
    entry, or for an HTTP-only host the command line to run, the URL to give it and, with a
    token, the bearer token."""
    if host.http:
        path, first = _split(command)
        args = server_args(host.name, data_dir, http=True, port=port, token=bool(token))
        lines = [shlex.join([path, *first, *args]), http_url(port)] + ([token] if token else [])
        return "\n".join(lines) + "\n"
    return json.dumps(snippet(host, command, data_dir), indent=2) + "\n"


def config_file(host: Host, home: Path | None = None, env: dict[str, str] | None = None) -> Path:
    """Where `host` keeps its user-wide MCP servers on this system."""
    home = home or Path.home()
    env = dict(os.environ) if env is None else env
    if sys.platform == "win32":
        appdata = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        appdata = home / "Library" / "Application Support"
    else:
        appdata = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    if host.name == "claude-desktop":
        return appdata / "Claude" / "claude_desktop_config.json"
    if host.name == "cursor":
        return home / ".cursor" / "mcp.json"
    if host.name == "lm-studio":
        return home / ".lmstudio" / "mcp.json"
    if host.name == "vscode":
        return appdata / "Code" / "User" / "mcp.json"
    raise RecipeError(f"{host.title} keeps its servers in its own settings: {host.where}.")


@dataclass(frozen=True)
class Installed:
    path: Path
    backup: Path | None  # None: the file did not exist before
    replaced: bool  # an entry named "membank" was there and is now this one


def install(host: Host, command: Command, data_dir: Path | None, path: Path) -> Installed:
    """Merge membank's entry into the host's config file, after a backup copy of the file;
    every other server and setting in it stays as it was."""
    if not host.installable:
        raise RecipeError(f"{host.title} keeps its servers in its own settings: {host.where}.")
    data: dict[str, Any] = {}
    backup: Path | None = None
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
            loaded = json.loads(text) if text.strip() else {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RecipeError(
                f"{path} is not a JSON file that can be read ({exc}); nothing was changed. "
                "Fix it, or paste the entry printed without --install by hand."
            ) from exc
        if not isinstance(loaded, dict):
            raise RecipeError(f"{path} does not hold a JSON object; nothing was changed.")
        data = loaded
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        shutil.copy2(path, backup)
    servers = data.get(host.servers_key, {})
    if not isinstance(servers, dict):
        raise RecipeError(
            f'"{host.servers_key}" in {path} is not an object; nothing was changed. Fix it first.'
        )
    replaced = SERVER_KEY in servers
    servers = {**servers, SERVER_KEY: entry(host, command, data_dir)}
    data = {**data, host.servers_key: servers}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open_private(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RecipeError(f"{path} could not be written: {exc.strerror or exc}.") from exc
    return Installed(path, backup, replaced)

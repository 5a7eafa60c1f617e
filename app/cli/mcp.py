"""`membank-cli mcp config CLIENT [--install]`: the exact entry an AI app needs to use membank.

The recipe is printed on stdout (JSON for apps that spawn the server, a command line and a URL
for Open WebUI); where to paste it goes to stderr, so `> file` keeps only the recipe. It needs
no models and does not take the data folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.config import load_config, resolve_paths
from app.mcp.http_auth import http_token
from app.mcp.recipes import (
    HOSTS,
    RecipeError,
    config_file,
    http_url,
    install,
    recipe_text,
    server_command,
)
from models.errors import MembankError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("mcp", help="connect an AI app (Claude Desktop, Cursor...) over MCP")
    msub = parser.add_subparsers(dest="mcp", required=True, metavar="ACTION")
    cfg = msub.add_parser(
        "config",
        help="print the app's config entry for membank-mcp (or --install it)",
        description="Print the exact config an app needs to start membank-mcp: an absolute "
        "path, this data folder and --client NAME (the app's own permission and audit name).",
    )
    cfg.add_argument("client", choices=sorted(HOSTS), metavar="CLIENT", help=", ".join(HOSTS))
    cfg.add_argument(
        "--install",
        action="store_true",
        help="merge the entry into the app's config file (a backup copy is written first)",
    )
    cfg.add_argument(
        "--file", type=Path, help="with --install: this config file instead of the app's own"
    )
    cfg.add_argument("--port", type=int, help="open-webui: the HTTP port (default [mcp] http_port)")
    cfg.add_argument(
        "--token",
        action="store_true",
        help="open-webui: require a bearer token (printed on the third line; kept owner-only in "
        "the data folder)",
    )


def handles(args: argparse.Namespace) -> bool:
    return bool(args.command == "mcp")


def run(args: argparse.Namespace) -> int:
    host = HOSTS[args.client]
    try:
        chosen = args.data_dir or os.environ.get("MEMBANK_HOME")
        paths = resolve_paths(args.data_dir)
        data_dir = paths.data_dir if chosen else None  # else the platform folders, as here
        command = server_command()
        if host.http:
            port = args.port or load_config(paths.config_file).mcp.http_port
            if args.install:
                raise RecipeError(f"{host.title} keeps its servers in its own settings.")
            token = http_token(paths.data_dir) if args.token else ""
            print(recipe_text(host, command, data_dir, port, token), end="")
            auth = "Auth Bearer with the token on the third line" if token else "Auth None"
            _note(
                f"Run the first line (it serves {http_url(port)}, this computer only), then in "
                f"{host.title}: {host.where.replace('Auth None', auth)}. Open WebUI in Docker "
                "reaches it only with --network=host."
            )
        elif args.install:
            target = args.file or config_file(host)
            done = install(host, command, data_dir, target)
            print(f"{'Updated' if done.replaced else 'Added'} membank in {done.path}")
            if done.backup is not None:
                print(f"Backup of the previous file: {done.backup}")
            _note(f"Restart {host.title} to load it.")
        else:
            print(recipe_text(host, command, data_dir, 0), end="")
            _note(f"{host.title}: paste into {host.where}.")
        _note(
            f"Data folder: {paths.data_dir}; {host.title}'s permission: [mcp.clients.{host.name}] "
            f"in {paths.config_file} (default read only), or membank > Connected apps."
        )
    except RecipeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MembankError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _note(text: str) -> None:
    print(text, file=sys.stderr)

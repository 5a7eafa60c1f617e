"""The entries Connected apps offers to paste: the CLI's recipes, absolute paths, client names."""

from __future__ import annotations

import json
from pathlib import Path

from app.config import Config
from app.mcp.client_setup import client_setups, mcp_command, with_client

COMMAND = "/home/ana/membank/.venv/bin/membank-mcp"


def test_each_app_gets_an_entry_with_its_client_name_and_the_absolute_command() -> None:
    setups = {s.client: s for s in client_setups(COMMAND, None, 8765)}
    assert {"claude-desktop", "cursor", "jan", "lm-studio", "open-webui"} <= set(setups)
    for client in ("claude-desktop", "cursor", "lm-studio", "jan"):
        entry = json.loads(setups[client].snippet)["mcpServers"]["membank"]
        assert entry["command"] == COMMAND and entry["args"][:2] == ["--client", client]
    webui = setups["open-webui"].snippet
    # Open WebUI speaks streamable HTTP itself: membank-mcp --http on loopback, no mcpo.
    assert webui.startswith(f"{COMMAND} --client open-webui") and "--http" in webui
    assert "http://127.0.0.1:8765/mcp" in webui and "mcpo" not in webui


def test_a_portable_data_folder_is_passed_on() -> None:
    setups = {s.client: s for s in client_setups(COMMAND, "/media/usb/membank", 8765)}
    args = json.loads(setups["claude-desktop"].snippet)["mcpServers"]["membank"]["args"]
    assert args == ["--client", "claude-desktop", "--data-dir", "/media/usb/membank"]


def test_the_command_is_an_absolute_path() -> None:
    command = mcp_command()
    path = command if isinstance(command, str) else command[0]
    assert Path(path).is_absolute()


def test_with_client_sets_permission_and_space_and_keeps_the_others() -> None:
    config = with_client(Config(), "jan", "remember", "work")
    config = with_client(config, "cursor", "full", "personal")
    clients = config.mcp.clients
    assert (clients["jan"].permission, clients["jan"].space) == ("remember", "work")
    assert clients["cursor"].permission == "full"

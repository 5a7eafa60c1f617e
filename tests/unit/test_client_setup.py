"""The entries Connected apps offers to paste: one per app, absolute paths, the client name."""

from __future__ import annotations

import json
from pathlib import Path

from app.config import Config
from app.mcp.client_setup import client_setups, mcp_command, with_client

COMMAND = "/home/ana/membank/.venv/bin/membank-mcp"


def test_each_app_gets_an_entry_with_its_client_name_and_the_absolute_command() -> None:
    setups = {s.client: s for s in client_setups(COMMAND)}
    assert set(setups) == {"claude-desktop", "cursor", "jan", "lm-studio", "open-webui"}
    for client in ("claude-desktop", "cursor", "lm-studio"):
        entry = json.loads(setups[client].snippet)["mcpServers"]["membank"]
        assert entry == {"command": COMMAND, "args": ["--client", client]}
    assert f"Command:   {COMMAND}" in setups["jan"].snippet
    assert "--client jan" in setups["jan"].snippet
    webui = setups["open-webui"].snippet
    assert webui.startswith("uvx mcpo --host 127.0.0.1 ") and f"-- {COMMAND} --client" in webui


def test_a_portable_data_folder_is_passed_on() -> None:
    [claude, *_] = client_setups(COMMAND, "/media/usb/membank")
    args = json.loads(claude.snippet)["mcpServers"]["membank"]["args"]
    assert args == ["--client", "claude-desktop", "--data-dir", "/media/usb/membank"]


def test_the_command_is_an_absolute_path() -> None:
    assert Path(mcp_command()).is_absolute()


def test_with_client_sets_permission_and_space_and_keeps_the_others() -> None:
    config = with_client(Config(), "jan", "remember", "work")
    config = with_client(config, "cursor", "full", "personal")
    clients = config.mcp.clients
    assert (clients["jan"].permission, clients["jan"].space) == ("remember", "work")
    assert clients["cursor"].permission == "full"

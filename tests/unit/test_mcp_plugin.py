"""Plugging membank into other apps: a broken client entry stops only that app, the audit names
the app, the recipes and their merge into a host's file, the bad-line replies, the TCP endpoint."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_types import INVALID_REQUEST, PARSE_ERROR, jsonrpc_message_adapter
from pydantic import ValidationError

from app.config import Config, load_config, save_config
from app.mcp.access import MemoryAccess
from app.mcp.apps import connected_apps, with_permission
from app.mcp.gateway import McpGateway, ToolRefused
from app.mcp.recipes import HOSTS, RecipeError, config_file, install, server_command, snippet
from app.mcp.server import describe, error_reply
from app.privacy.ipc import TcpEndpoint, endpoint_path, read_endpoint, write_endpoint
from memory.clock import ManualClock, is_day
from memory.storage.audit import entries
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, make_bank
from tests.unit.wiring import make_services

BROKEN = """
[mcp.clients.g]
space = "a b"

[mcp.clients.writer]
permission = "remember"

[mcp.clients.typo]
permision = "full"
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_a_broken_client_entry_is_set_aside_not_fatal(config_path: Path) -> None:
    config = load_config(config_path)  # before: ConfigError, and membank-mcp did not start
    assert set(config.mcp.clients) == {"writer"}
    assert set(config.mcp.broken) == {"g", "typo"}
    assert "space" in config.mcp.broken["g"].problem and "'a b'" in config.mcp.broken["g"].problem
    assert "permision" in config.mcp.broken["typo"].problem


def test_saving_keeps_a_broken_entry_as_written_until_the_app_is_set_up_again(
    config_path: Path,
) -> None:
    config = load_config(config_path)
    save_config(config_path, config)
    again = load_config(config_path)
    assert again.mcp.broken["g"].raw == {"space": "a b"}
    fixed = with_permission(again, "g", "remember")  # Connected apps sets it anew
    assert "g" not in fixed.mcp.broken
    save_config(config_path, fixed)
    assert load_config(config_path).mcp.clients["g"].permission == "remember"


@pytest.fixture
def gateway(tmp_path: Path, config_path: Path) -> Iterator[McpGateway]:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    s = make_services(Config(), store, ManualClock(T0), bank)
    access = MemoryAccess(s.store, s.host, s.curation, s.privacy, s.clock)
    mcp = load_config(config_path).mcp
    yield McpGateway(access, s.clock, lambda: mcp, config_file=config_path)
    bank.close()
    store.close()


def test_the_broken_app_is_refused_with_what_to_fix_and_where(
    gateway: McpGateway, config_path: Path
) -> None:
    with pytest.raises(ToolRefused) as refused:
        gateway.call("g", "recall", {"query": "tea"})
    message = str(refused.value)
    assert str(config_path) in message and config_path.is_absolute()
    assert '[mcp.clients."g"]' in message and "space" in message and "\n" not in message
    note = gateway.call("writer", "remember", {"text": "The user likes tea."})  # others work
    assert gateway.call("stranger", "recall", {"query": "tea"})[0]["id"] == note["id"]


def test_a_permission_refusal_names_the_config_files_full_path(
    gateway: McpGateway, config_path: Path
) -> None:
    with pytest.raises(ToolRefused, match=f"in {config_path}"):
        gateway.call("stranger", "remember", {"text": "x"})


def test_the_audit_actor_is_the_app(gateway: McpGateway) -> None:
    """Before: an MCP write was logged as actor `user`, the call as `mcp`, whoever made it."""
    note = gateway.call("writer", "remember", {"text": "The user likes tea."})
    log = entries(gateway.access.store)
    added = next(e for e in log if e.event == "added")
    accessed = next(e for e in log if e.event == "accessed")
    assert (added.actor, added.memory_id) == ("mcp:writer", note["id"])
    assert accessed.actor == "mcp:writer"
    config = load_config(Path(gateway.config_file)).mcp
    assert {a.name for a in connected_apps(gateway.access.store, config)} >= {"writer"}


@pytest.mark.parametrize("day", ["2026-13-45", "2026-02-30", "yesterday", "2026-1-5"])
def test_a_day_that_is_no_date_is_refused(gateway: McpGateway, day: str) -> None:
    assert not is_day(day)
    with pytest.raises(ToolRefused, match="day must be a date"):
        gateway.call("writer", "summaries", {"day": day})


def test_recipes_have_an_absolute_command_the_data_folder_and_the_hosts_own_name(
    tmp_path: Path,
) -> None:
    for host in HOSTS.values():
        if host.http:
            continue
        servers = snippet(host, "/abs/membank-mcp", tmp_path)[host.servers_key]
        item = servers["membank"]
        assert item["command"] == "/abs/membank-mcp"
        assert item["args"] == ["--client", host.name, "--data-dir", str(tmp_path)]
        assert item.get("type", "stdio") == "stdio"
    assert HOSTS["vscode"].servers_key == "servers"
    home = tmp_path / "home"
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "APPDATA": str(tmp_path / "appdata")}
    assert config_file(HOSTS["cursor"], home, env) == home / ".cursor" / "mcp.json"
    assert config_file(HOSTS["lm-studio"], home, env) == home / ".lmstudio" / "mcp.json"
    if sys.platform == "linux":
        claude = tmp_path / "xdg" / "Claude" / "claude_desktop_config.json"
        assert config_file(HOSTS["claude-desktop"], home, env) == claude
    with pytest.raises(RecipeError, match="Settings > MCP Servers"):
        config_file(HOSTS["jan"], home, env)


def test_install_merges_after_a_backup_and_keeps_everything_else(tmp_path: Path) -> None:
    path = tmp_path / "claude_desktop_config.json"
    original = {
        "globalShortcut": "Ctrl+Space",
        "mcpServers": {"files": {"command": "npx", "args": ["-y", "server-filesystem"]}},
    }
    path.write_text(json.dumps(original), encoding="utf-8")
    done = install(HOSTS["claude-desktop"], "/abs/membank-mcp", None, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["globalShortcut"] == "Ctrl+Space"
    assert data["mcpServers"]["files"] == original["mcpServers"]["files"]
    assert data["mcpServers"]["membank"]["args"] == ["--client", "claude-desktop"]
    assert done.backup is not None and json.loads(done.backup.read_text()) == original
    assert not done.replaced
    assert install(HOSTS["claude-desktop"], "/abs/membank-mcp", None, path).replaced


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"mcpServers": [1]}'])
def test_install_refuses_a_file_it_cannot_read_and_leaves_it_alone(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "mcp.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RecipeError, match="nothing was changed"):
        install(HOSTS["cursor"], "/abs/membank-mcp", None, path)
    assert path.read_text(encoding="utf-8") == content


def test_descriptions_lose_their_docstring_indentation() -> None:
    doc = """First line of a paragraph
        that goes on here.

        Second paragraph."""
    assert describe(doc) == "First line of a paragraph that goes on here.\n\nSecond paragraph."


@pytest.mark.parametrize(
    ("line", "code"), [("not json at all", PARSE_ERROR), ('{"foo": 1}', INVALID_REQUEST)]
)
def test_a_bad_line_is_answered_with_its_json_rpc_error(line: str, code: int) -> None:
    with pytest.raises(ValidationError) as exc:
        jsonrpc_message_adapter.validate_json(line, by_name=False)
    reply = error_reply(exc.value)
    assert reply.id is None and reply.error.code == code


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_the_tcp_endpoint_is_a_private_file_and_a_loose_one_is_not_trusted(
    tmp_path: Path,
) -> None:
    written = write_endpoint(tmp_path, TcpEndpoint(50123, "ab" * 32))
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert read_endpoint(tmp_path) == TcpEndpoint(50123, "ab" * 32)
    os.chmod(endpoint_path(tmp_path), 0o644)  # another account could have read or written it
    assert read_endpoint(tmp_path) is None
    endpoint_path(tmp_path).unlink()
    assert read_endpoint(tmp_path) is None


def test_inside_an_appimage_the_recipe_starts_the_appimage_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An AppImage mounts at a new /tmp/.mount_* path each start: the stable path is the file."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("APPIMAGE", "/home/me/Apps/membank-x86_64.AppImage")
    command = server_command()
    assert command == ("/home/me/Apps/membank-x86_64.AppImage", ["--mcp"])
    item = snippet(HOSTS["cursor"], command, None)["mcpServers"]["membank"]
    assert item["command"] == "/home/me/Apps/membank-x86_64.AppImage"
    assert item["args"] == ["--mcp", "--client", "cursor"]

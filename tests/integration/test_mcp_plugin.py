"""Plugging membank into other apps, with the real MCP SDK client: each host's printed recipe
started the way the host starts it, a broken client entry that stops only its own app, a bad
JSON line answered, the tool hints, and the window's loopback TCP hand-off (forced on Linux)."""

from __future__ import annotations

import asyncio
import json
import os
import select
import shlex
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from app.privacy.ipc import IPC_ENV, endpoint_path, read_endpoint
from memory.storage.audit import entries
from memory.storage.store import SQLiteStore
from tests.integration.test_mcp import (
    CONFIG,
    NOTE,
    free_port,
    listening_addresses,
    round_trip,
    start_window,
    stderr_of,
    stop_window,
    text_of,
)

pytestmark = [pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# What a host passes: nothing of the test's environment but what the SDK client inherits by
# default (HOME, PATH...), plus PYTHONPATH so the venv's membank-mcp runs this checkout's code.
HOST_ENV = {"PYTHONPATH": str(ROOT)}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "config.toml").write_text(CONFIG, encoding="utf-8")
    return folder


def recipe(data: Path, client: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), "mcp", "config", client]
        + list(extra),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def actors(data: Path) -> set[str]:
    store = SQLiteStore(data / "membank.sqlite3")
    try:
        return {e.actor for e in entries(store, limit=200)}
    finally:
        store.close()


@pytest.mark.parametrize("host", ["claude-desktop", "cursor", "jan", "lm-studio", "vscode"])
def test_each_hosts_printed_recipe_starts_with_the_sdk_client(
    tmp_path: Path, data: Path, host: str
) -> None:
    printed = recipe(data, host)
    assert printed.returncode == 0, printed.stderr
    config = json.loads(printed.stdout)  # stdout holds the recipe alone
    [servers] = config.values()
    entry = servers["membank"]
    command = Path(entry["command"])
    assert command.is_absolute() and os.access(command, os.X_OK), entry  # no ~, no PATH
    assert entry["args"] == ["--client", host, "--data-dir", str(data)]
    if host == "vscode":
        assert entry["type"] == "stdio"

    async def session() -> None:
        params = StdioServerParameters(
            command=entry["command"],
            args=entry["args"],
            env={**entry["env"], **HOST_ENV},
            cwd=str(tmp_path),  # wherever the host happens to be
        )
        async with Client(params) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert {"recall", "remember", "forget", "persona", "summaries"} <= set(tools)
            refused = await client.call_tool("remember", {"text": NOTE})  # read only by default
            assert refused.is_error and f'[mcp.clients."{host}"]' in text_of(refused)

    asyncio.run(session())
    assert f"mcp:{host}" in actors(data)  # its own permission and audit name


@pytest.mark.parametrize("token", [False, True], ids=["open", "bearer-token"])
def test_open_webui_recipe_serves_streamable_http_on_loopback(
    tmp_path: Path, data: Path, token: bool
) -> None:
    port = free_port()
    printed = recipe(data, "open-webui", "--port", str(port), *(["--token"] if token else []))
    assert printed.returncode == 0, printed.stderr
    command_line, url, *secret = printed.stdout.strip().splitlines()
    assert url == f"http://127.0.0.1:{port}/mcp"
    if token:
        [bearer] = secret
        token_file = data / "mcp-http-token"
        assert token_file.read_text().strip() == bearer
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    argv = shlex.split(command_line)
    assert Path(argv[0]).is_absolute() and "--http" in argv and "--client" in argv
    with (data.parent / "webui.stderr").open("ab") as err:
        proc = subprocess.Popen(
            argv,
            cwd=tmp_path,
            env={**os.environ, **HOST_ENV},
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 300
        while True:  # the port opens once the server listens: wait for that, whatever the load
            assert proc.poll() is None, stderr_of(data, "webui")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "membank-mcp --http did not listen"
            time.sleep(0.2)
        assert listening_addresses(port) == {"127.0.0.1"}

        async def session() -> None:
            headers = {"Authorization": f"Bearer {secret[0]}"} if token else {}
            async with (
                # The SDK's own client waits minutes for a reply, too (the first call loads the
                # embedding model); the default 5 s is a speed assumption.
                httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(600)) as http,
                Client(streamable_http_client(url, http_client=http)) as client,
            ):
                persona = await client.call_tool("persona", {})
                assert not persona.is_error, text_of(persona)
            if token:  # without it, or with another one: 401, and the server never sees it
                async with httpx2.AsyncClient() as bare:
                    for wrong in ({}, {"Authorization": "Bearer " + "0" * 64}):
                        answer = await bare.post(url, json={}, headers=wrong)
                        assert answer.status_code == 401

        asyncio.run(session())
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert "mcp:open-webui" in actors(data)


def test_install_writes_the_hosts_file_and_it_starts(tmp_path: Path, data: Path) -> None:
    target = tmp_path / "mcp.json"
    target.write_text('{"mcpServers": {"other": {"command": "/bin/true"}}}', encoding="utf-8")
    done = recipe(data, "cursor", "--install", "--file", str(target))
    assert done.returncode == 0, done.stderr
    assert "Backup of the previous file" in done.stdout
    servers = json.loads(target.read_text(encoding="utf-8"))["mcpServers"]
    assert set(servers) == {"other", "membank"}
    entry = servers["membank"]

    async def session() -> None:
        params = StdioServerParameters(
            command=entry["command"], args=entry["args"], env=HOST_ENV, cwd=str(tmp_path)
        )
        async with Client(params) as client:
            assert "recall" in {t.name for t in (await client.list_tools()).tools}

    asyncio.run(session())


BROKEN = """
[mcp.clients.g]
space = "a b"

[mcp.clients.writer]
permission = "remember"
"""


def test_one_broken_client_entry_stops_only_that_app(data: Path) -> None:
    """Before: membank-mcp exited at start for every app, which saw only "Connection closed"."""
    config = data / "config.toml"
    config.write_text(BROKEN, encoding="utf-8")

    def params(client: str) -> StdioServerParameters:
        return StdioServerParameters(
            command=sys.executable,
            args=["-m", "app.mcp", "--data-dir", str(data), "--client", client],
            cwd=str(ROOT),
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    async def session() -> None:
        async with Client(params("g")) as broken:
            refused = await broken.call_tool("recall", {"query": "bees"})
            assert refused.is_error
            message = text_of(refused)
            assert str(config) in message and "space" in message and "Fix" in message
        async with Client(params("writer")) as writer:
            stored = await writer.call_tool("remember", {"text": NOTE})
            assert not stored.is_error, text_of(stored)

    asyncio.run(session())
    log = (data / "logs" / "membank.log").read_text(encoding="utf-8")
    assert "WARNING" in log and "[mcp.clients.g] in" in log and "is skipped" in log


def test_tools_carry_hints_and_clean_descriptions(data: Path) -> None:
    async def session() -> dict[str, Any]:
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "app.mcp", "--data-dir", str(data), "--client", "inspector"],
            cwd=str(ROOT),
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        async with Client(params) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    tools = asyncio.run(session())
    missing = [name for name, t in tools.items() if t.annotations is None]
    assert missing == [], "every tool says whether it reads, writes or destroys"
    hints = {
        name: (
            t.annotations.read_only_hint,
            t.annotations.destructive_hint,
            t.annotations.idempotent_hint,
        )
        for name, t in tools.items()
        if t.annotations is not None
    }
    assert {name: hints[name] for name in ("recall", "persona", "summaries", "remember")} == {
        "recall": (True, False, True),
        "persona": (True, False, True),
        "summaries": (True, False, True),
        "remember": (False, False, False),
    }
    assert hints["forget"] == (False, True, True)
    for t in tools.values():
        assert t.description and "\n " not in t.description and not t.description[0].isspace()


def test_a_bad_json_line_gets_its_error_reply_and_the_server_goes_on(data: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.mcp", "--data-dir", str(data), "--client", "raw"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def send(line: str) -> dict[str, Any]:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(line.encode() + b"\n")
        proc.stdin.flush()
        # A cap against a hang (the bug was: no reply at all), not a timing assumption.
        ready, _, _ = select.select([proc.stdout], [], [], 300)
        assert ready, f"no reply to {line!r}"
        return dict(json.loads(proc.stdout.readline()))

    try:
        parse = send("this is not json")
        assert parse["id"] is None and parse["error"]["code"] == -32700
        invalid = send('{"hello": "world"}')
        assert invalid["id"] is None and invalid["error"]["code"] == -32600
        hello = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "1"},
            },
        }
        answer = send(json.dumps(hello))
        assert answer["id"] == 1 and answer["result"]["serverInfo"]["name"] == "membank"
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=60)
        proc.stdout.close()


@pytest.mark.skipif(os.name != "posix", reason="forces on Linux what Windows does anyway")
def test_the_window_hands_off_over_loopback_tcp_where_there_are_no_unix_sockets(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(IPC_ENV, "tcp")  # the window, membank-mcp and this test's window_running
    proc = start_window(data)
    try:
        endpoint = read_endpoint(data)
        assert endpoint is not None
        assert stat.S_IMODE(endpoint_path(data).stat().st_mode) == 0o600
        assert listening_addresses(endpoint.port) == {"127.0.0.1"}
        with socket.create_connection(("127.0.0.1", endpoint.port), timeout=60) as sock:
            sock.sendall(b"token wrong\nmcp {}\n")
            assert sock.recv(1024) == b""  # closed unanswered
        asyncio.run(round_trip(data))
    finally:
        stop_window(proc)
    log = (data / "logs" / "membank.log").read_text(encoding="utf-8")
    assert "MCP hand-off listening on 127.0.0.1" in log
    assert "mcp remember ran in the window" in log
    assert "mcp remember ran in this process" not in log
    assert not endpoint_path(data).exists()  # removed when the window quits

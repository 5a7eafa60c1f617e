"""membank-mcp driven by the real MCP SDK client: over stdio (with the window running offscreen
and without it, and with the window starting mid-session) and over loopback streamable HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import Implementation

from app.config import load_config, resolve_paths
from app.mcp.ipc import window_running
from app.mcp.main import build_parser
from memory.records import Kind
from memory.storage.audit import entries
from memory.storage.consistency import check
from memory.storage.index import ChromaIndex
from memory.storage.store import SQLiteStore
from models.embedder_backend import backend_model_id
from models.hub.discovery import embedder_model_id

pytestmark = [pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOW = "2025-03-14T10:00:00"
CONFIG = """
[mcp.clients.writer]
permission = "remember"

[mcp.clients.http-tester]
permission = "remember"
"""
NOTE = "I keep three beehives behind the garden shed"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "config.toml").write_text(CONFIG, encoding="utf-8")
    return folder


def stdio(data: Path, client: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "app.mcp", "--data-dir", str(data), "--now", NOW, "--client", client],
        cwd=str(ROOT),
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


@pytest.fixture
def window(data: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_window(data)
    try:
        yield proc
    finally:
        stop_window(proc)


def start_window(data: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with (data.parent / "window.stderr").open("ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui", "--data-dir", str(data), "--now", NOW],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    deadline = time.monotonic() + 180
    while not window_running(data):
        assert proc.poll() is None, stderr_of(data, "window")
        assert time.monotonic() < deadline, "the window did not start listening"
        time.sleep(0.2)
    return proc


def stop_window(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)  # SignalQuit: a clean shutdown, lock released
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, f"the window exited with {proc.returncode}"


def stderr_of(data: Path, name: str) -> str:
    return (data.parent / f"{name}.stderr").read_text(errors="replace")


def text_of(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


async def round_trip(data: Path) -> str:
    """List tools, remember, recall it with its date; a read-only app's remember is refused."""
    async with Client(stdio(data, "writer")) as writer:
        tools = {t.name: t for t in (await writer.list_tools()).tools}
        assert {"recall", "remember", "forget", "persona", "summaries"} <= set(tools)
        assert "long-term memory" in (tools["recall"].description or "")
        stored = await writer.call_tool("remember", {"text": NOTE})
        assert not stored.is_error, text_of(stored)
        note = stored.structured_content
        assert note is not None and note["text"] == NOTE and note["date"] == "2025-03-14"
        found = await writer.call_tool("recall", {"query": "beehives garden", "k": 3})
        assert not found.is_error, text_of(found)
        memories = (found.structured_content or {})["memories"]
        assert memories[0]["id"] == note["id"]
        assert memories[0]["date"] == "2025-03-14" and memories[0]["kind"] == "note"
        assert memories[0]["score"] > 0
    async with Client(stdio(data, "reader")) as reader:
        refused = await reader.call_tool("remember", {"text": "I secretly hate bees"})
        assert refused.is_error
        message = text_of(refused)
        assert "refused remember" in message and "read only" in message
        assert "Connected apps" in message  # says what to do
        persona = await reader.read_resource("membank://persona")
        assert "no persona" in persona.contents[0].text  # type: ignore[union-attr]
    return str(note["id"])


def vectors_id(config_file: Path) -> str:
    """The bundled embedder's vectors on the backend that data folder is set to."""
    return backend_model_id(embedder_model_id(""), load_config(config_file).embedder.backend)


def audit_and_consistency(data: Path, note_id: str) -> None:
    paths = resolve_paths(str(data))
    store = SQLiteStore(paths.database)
    try:
        calls = [e for e in entries(store, limit=100) if e.event == "accessed"]
        seen = {(e.detail["client"], e.detail["tool"], e.detail["outcome"]) for e in calls}
        assert ("writer", "remember", "ok") in seen
        assert ("writer", "recall", "ok") in seen
        assert ("reader", "remember", "refused") in seen
        remembered = next(e for e in calls if e.detail["tool"] == "remember" and e.memory_id)
        assert remembered.memory_id == note_id and remembered.detail["ids"] == [note_id]
        flat = repr([(e.detail, e.memory_id) for e in calls])
        assert "beehive" not in flat and "hate bees" not in flat  # ids, never text
        # The refused note was not stored. (What the running window's scheduler may have
        # consolidated from the one note, under load before it was stopped, is not a note.)
        said = store.rows("SELECT text FROM memories WHERE kind IN ('note', 'turn')")
        assert [r["text"] for r in said] == [NOTE]
        index = ChromaIndex(paths.index_dir, vectors_id(paths.config_file), 384)
        try:
            report = check(store, index)
        finally:
            index.close()
        assert report.clean, report.as_json()
    finally:
        store.close()


def test_stdio_round_trip_without_the_window(data: Path) -> None:
    note_id = asyncio.run(round_trip(data))
    log = (data / "logs" / "membank.log").read_text(encoding="utf-8")
    assert "mcp remember ran in this process" in log
    audit_and_consistency(data, note_id)


def test_stdio_round_trip_with_the_window_running(
    data: Path, window: subprocess.Popen[bytes]
) -> None:
    note_id = asyncio.run(round_trip(data))
    log = (data / "logs" / "membank.log").read_text(encoding="utf-8")
    assert "mcp remember ran in the window" in log
    assert "mcp remember ran in this process" not in log  # the folder had one writer
    stop_window(window)
    audit_and_consistency(data, note_id)


def test_the_window_starting_mid_session_takes_over(data: Path) -> None:
    """The server holds the folder only during a call: a window started between calls gets
    it, the next call goes to the window, and after the window quits the server serves again."""

    async def session() -> None:
        async with Client(stdio(data, "writer")) as writer:
            stored = await writer.call_tool("remember", {"text": NOTE})
            assert not stored.is_error, text_of(stored)
            proc = await asyncio.to_thread(start_window, data)
            try:
                found = await writer.call_tool("recall", {"query": "beehives"})
                assert (found.structured_content or {})["memories"][0]["text"] == NOTE
                more = await writer.call_tool("remember", {"text": "My hives face south"})
                assert not more.is_error, text_of(more)
            finally:
                await asyncio.to_thread(stop_window, proc)
            again = await writer.call_tool("recall", {"query": "which way do my hives face"})
            texts = [m["text"] for m in (again.structured_content or {})["memories"]]
            assert "My hives face south" in texts

    asyncio.run(session())
    log = (data / "logs" / "membank.log").read_text(encoding="utf-8")
    assert "mcp recall ran in the window" in log and "mcp recall ran in this process" in log
    paths = resolve_paths(str(data))
    store = SQLiteStore(paths.database)
    index = ChromaIndex(paths.index_dir, vectors_id(paths.config_file), 384)
    try:
        # Each note once (the window may also have run its catch-up consolidation: summaries).
        notes = sorted(m.text for m in store.memories(kinds=[Kind.NOTE], limit=100))
        assert notes == sorted([NOTE, "My hives face south"])
        assert check(store, index).clean
    finally:
        index.close()
        store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_streamable_http_round_trip_on_loopback_only(data: Path) -> None:
    port = free_port()
    with (data.parent / "http.stderr").open("ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.mcp", "--http", "--port", str(port)]
            + ["--data-dir", str(data), "--now", NOW],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, stderr_of(data, "http")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert listening_addresses(port) == {"127.0.0.1"}

        async def http_session() -> None:
            me = Implementation(name="http-tester", version="1")
            async with Client(f"http://127.0.0.1:{port}/mcp", client_info=me) as client:
                assert "remember" in {t.name for t in (await client.list_tools()).tools}
                stored = await client.call_tool("remember", {"text": NOTE})
                assert not stored.is_error, text_of(stored)
                found = await client.call_tool("recall", {"query": "beehives"})
                memories = (found.structured_content or {})["memories"]
                assert memories[0]["text"] == NOTE and memories[0]["date"] == "2025-03-14"
            async with Client(f"http://127.0.0.1:{port}/mcp") as anonymous:  # default: read
                refused = await anonymous.call_tool("forget", {"memory_id": memories[0]["id"]})
                assert refused.is_error and "read only" in text_of(refused)

        asyncio.run(http_session())
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    with pytest.raises(SystemExit):  # no way to ask for another address
        build_parser().parse_args(["--http", "--host", "0.0.0.0"])


def listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP socket listens on at `port` (from /proc/net/tcp{,6})."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            if len(address) == 8:
                found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
            else:
                found.add(f"v6:{address}")
    return found

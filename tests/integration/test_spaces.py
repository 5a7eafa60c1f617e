"""Memory spaces with the real models: a `work` memory stays out of `personal` chats and out of a
personal MCP app, until the user shares it; then both see it. Chat path and MCP (real SDK)."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from app.bootstrap import Runtime
from app.services.events import RecallEvent
from tests.realmodels import ready_runtime

pytestmark = [pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """
[mcp.clients.work-ide]
permission = "remember"
space = "work"

[mcp.clients.home-chat]
permission = "read"
"""
WORK = "The quarterly budget review with Dana is on Thursday at 3 pm"
QUESTION = "When is the quarterly budget review with Dana?"


def stdio(data: Path, client: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "app.mcp", "--data-dir", str(data), "--client", client],
        cwd=str(ROOT),
        env=dict(os.environ),
    )


async def mcp_recall(data: Path, client: str, query: str) -> list[str]:
    async with Client(stdio(data, client)) as app:
        found = await app.call_tool("recall", {"query": query, "k": 10})
        assert not found.is_error
        return [m["text"] for m in (found.structured_content or {})["memories"]]


async def work_remembers(data: Path) -> str:
    async with Client(stdio(data, "work-ide")) as app:
        stored = await app.call_tool("remember", {"text": WORK})
        assert not stored.is_error
        return str((stored.structured_content or {})["id"])


def chat_recalls(runtime: Runtime, space: str) -> set[str]:
    chat = runtime.chat
    conversation = chat.new_conversation(space=space)
    for event in chat.send(conversation.id, QUESTION, cancel=threading.Event()):
        if isinstance(event, RecallEvent):
            return {r.memory.text for r in event.memories}
    raise AssertionError("no recall event")


def test_work_stays_in_work_until_shared(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(CONFIG, encoding="utf-8")
    work_id = asyncio.run(work_remembers(data))
    assert WORK not in asyncio.run(mcp_recall(data, "home-chat", "budget review Dana"))
    assert WORK in asyncio.run(mcp_recall(data, "work-ide", "budget review Dana"))

    with ready_runtime(data) as runtime:
        assert runtime.store.memory(work_id).space == "work"
        assert WORK not in chat_recalls(runtime, "personal")
        assert WORK in chat_recalls(runtime, "work")
        runtime.curation.set_space(work_id, "work", shared=True)
        assert WORK in chat_recalls(runtime, "personal")

    assert WORK in asyncio.run(mcp_recall(data, "home-chat", "budget review Dana"))

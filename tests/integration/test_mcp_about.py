"""The MCP tool `about(name)`: an entity's timeline, through the real SDK client over stdio."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mcp import Client

from tests.integration.test_mcp import data, stdio, text_of

pytestmark = [pytest.mark.model, pytest.mark.slow]
__all__ = ["data"]  # the folder fixture, shared with test_mcp


def test_about_answers_with_the_timeline_of_a_person_by_any_of_their_names(data: Path) -> None:
    async def session() -> None:
        async with Client(stdio(data, "writer")) as writer:
            tools = {t.name for t in (await writer.list_tools()).tools}
            assert "about" in tools
            for text in (
                "My sister is starting a new job at Acme.",
                "My sister Joanna says the job at Acme is great.",
                "I bought a new bike.",
            ):
                stored = await writer.call_tool("remember", {"text": text})
                assert not stored.is_error, text_of(stored)
            found = await writer.call_tool("about", {"name": "my sister"})
            assert not found.is_error, text_of(found)
            about = found.structured_content or {}
            assert about["name"] == "Joanna" and about["kind"] == "person"
            assert "my sister" in about["aliases"]
            # Both (oldest first; each call's process starts its shifted clock anew, so their
            # order here says nothing: test_graph checks the order).
            texts = sorted(m["text"] for m in about["timeline"])
            assert texts == [
                "My sister Joanna says the job at Acme is great.",
                "My sister is starting a new job at Acme.",
            ]
            assert all(m["date"] == "2025-03-14" for m in about["timeline"])
            unknown = await writer.call_tool("about", {"name": "Zebulon"})
            assert unknown.is_error
            assert "No person, place or thing called 'Zebulon'" in text_of(unknown)
            assert "\n" not in text_of(unknown).strip()

    asyncio.run(session())

"""The MCP server: membank's tools and resources, as a host's model sees them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from app.mcp.gateway import ToolRefused

Call = Callable[[str, str, Mapping[str, Any]], Any]

INSTRUCTIONS = (
    "membank is the user's own long-term memory, kept on this computer. It holds what the user "
    "said in earlier conversations, notes they asked to keep, facts learned about them, and a "
    "persona and summary distilled from all of it. Call `recall` before answering anything "
    "that may depend on the user's past, preferences, people, plans or projects; call "
    "`persona` at the start of a conversation to know who you are talking to. Call `remember` "
    "only for something the user wants kept or that will clearly matter later. Memories are "
    "private: quote them to the user, never elsewhere."
)


def client_name(ctx: Context[Any, Any] | None, fixed: str) -> str:
    """--client wins; else the name the host gave in its MCP handshake; else "unknown"."""
    if fixed:
        return fixed
    try:
        params = ctx.session.client_params if ctx is not None else None
    except (AttributeError, LookupError, ValueError):
        params = None
    name = params.client_info.name if params is not None and params.client_info else ""
    return name.strip() or "unknown"


def build_server(call: Call, fixed_client: str = "") -> MCPServer[Any]:
    """Every tool and resource goes through `call(client, tool, args)` (the router)."""
    server: MCPServer[Any] = MCPServer(
        "membank", instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING"
    )

    async def run(ctx: Context[Any, Any] | None, tool: str, args: dict[str, Any]) -> Any:
        client = client_name(ctx, fixed_client)
        try:
            return await anyio.to_thread.run_sync(lambda: call(client, tool, args))
        except ToolRefused as exc:
            raise ToolError(str(exc)) from None

    @server.tool()
    async def recall(query: str, ctx: Context[Any, Any], k: int = 6) -> dict[str, Any]:
        """Search the user's long-term memory (membank) for what they said, noted or are known
        for. Use it whenever the answer may depend on the user's past: their preferences,
        people, plans, projects, health, earlier decisions or "what did I say about X".
        `query` is a short description of what to look for (words from the topic, not a whole
        question is fine too); `k` is how many memories to return (1-50, default 6).
        Returns memories best first, each with its text, date (when it was said or happened),
        kind (turn, note, fact, summary...), id and score. Recent and often-used memories rank
        higher; old unused ones fade, as in human memory."""
        return {"memories": await run(ctx, "recall", {"query": query, "k": k})}

    @server.tool()
    async def remember(text: str, ctx: Context[Any, Any]) -> dict[str, Any]:
        """Store a note in the user's long-term memory (membank), for this app and every other
        app the user connects. Use it when the user asks you to remember something, or states
        a lasting fact, preference or plan about themselves that should be known later. Write
        `text` as one self-contained sentence about the user (e.g. "The user is allergic to
        peanuts."). Returns the new memory with its id and date. May be refused: the user
        decides per app whether it may write."""
        return dict(await run(ctx, "remember", {"text": text}))

    @server.tool()
    async def forget(memory_id: str, ctx: Context[Any, Any]) -> dict[str, Any]:
        """Delete one memory for good, with everything membank derived from it, by the id that
        `recall` returned. Only when the user explicitly asks to forget or delete something;
        it cannot be undone. Needs the "full" permission, which the user grants per app."""
        return dict(await run(ctx, "forget", {"memory_id": memory_id}))

    @server.tool()
    async def persona(ctx: Context[Any, Any]) -> dict[str, Any]:
        """Who the user is, as membank has come to know them: the persona (traits, likes,
        circumstances) and the overall summary of what they have talked about, with the date
        each was last updated. Call it at the start of a conversation to personalise answers.
        Either may be null while membank has not consolidated enough yet."""
        return dict(await run(ctx, "persona", {}))

    @server.tool()
    async def about(name: str, ctx: Context[Any, Any], k: int = 50) -> dict[str, Any]:
        """Everything membank remembers about one person, place, pet, organisation, thing or
        event, in the order it happened: use it for "what happened with X", "when did my sister
        ...", "what do I know about Lisbon". `name` is the name or a way the user refers to it
        ("Joanna", "Jo", "my sister"); `k` caps how many memories (1-50). Returns the entity's
        name, kind, aliases and its timeline (each memory with text, date, kind, id)."""
        return dict(await run(ctx, "about", {"name": name, "k": k}))

    @server.tool()
    async def summaries(ctx: Context[Any, Any], day: str | None = None) -> dict[str, Any]:
        """Daily summaries of the user's conversations: what they talked about on a day and
        what it showed about them. `day` is a date like 2025-03-14 (e.g. to answer "what did
        we discuss yesterday?"); without it, the most recent days (up to 14), newest first."""
        return {"days": await run(ctx, "summaries", {"day": day})}

    @server.resource(
        "membank://persona",
        name="persona",
        title="The user's persona",
        description="Who the user is, as distilled by membank from all their conversations.",
        mime_type="text/plain",
    )
    async def persona_resource() -> str:
        data = await run(None, "resource", {})
        return str(data.get("persona") or "(membank has no persona for the user yet)")

    @server.resource(
        "membank://summary",
        name="summary",
        title="Summary of everything so far",
        description="membank's overall summary of what the user has talked about.",
        mime_type="text/plain",
    )
    async def summary_resource() -> str:
        data = await run(None, "resource", {})
        return str(data.get("summary") or "(membank has no overall summary yet)")

    return server

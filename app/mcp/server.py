"""The MCP server: membank's tools and resources, as a host's model sees them."""

from __future__ import annotations

import contextvars
import inspect
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import (
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    ToolAnnotations,
)
from pydantic import ValidationError

from app.mcp.gateway import ToolRefused

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

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


def describe(doc: str | None) -> str:
    """A docstring as a host shows it: no indentation, each paragraph on one line."""
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(re.sub(r"\s*\n\s*", " ", p).strip() for p in paragraphs)


def build_server(call: Call, fixed_client: str = "") -> MCPServer[Any]:
    """Every tool and resource goes through `call(client, tool, args)` (the router)."""
    server: MCPServer[Any] = MCPServer(
        "membank", instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING"
    )

    def tool(title: str, *, read_only: bool, destructive: bool = False) -> Callable[[F], F]:
        """Register with a clean description and the hints a host shows its user (all local:
        no open world; every call but remember has the same effect twice as once)."""

        def register(fn: F) -> F:
            hints = ToolAnnotations(
                title=title,
                read_only_hint=read_only,
                destructive_hint=destructive,
                idempotent_hint=fn.__name__ != "remember",
                open_world_hint=False,
            )
            server.tool(description=describe(fn.__doc__), annotations=hints)(fn)
            return fn

        return register

    async def run(ctx: Context[Any, Any] | None, tool: str, args: dict[str, Any]) -> Any:
        client = client_name(ctx, fixed_client)
        try:
            return await anyio.to_thread.run_sync(lambda: call(client, tool, args))
        except ToolRefused as exc:
            raise ToolError(str(exc)) from None

    @tool("Recall memories", read_only=True)
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

    @tool("Remember a note", read_only=False)
    async def remember(text: str, ctx: Context[Any, Any]) -> dict[str, Any]:
        """Store a note in the user's long-term memory (membank), for this app and every other
        app the user connects. Use it when the user asks you to remember something, or states
        a lasting fact, preference or plan about themselves that should be known later. Write
        `text` as one self-contained sentence about the user (e.g. "The user is allergic to
        peanuts."). Returns the new memory with its id and date. May be refused: the user
        decides per app whether it may write."""
        return dict(await run(ctx, "remember", {"text": text}))

    @tool("Forget a memory", read_only=False, destructive=True)
    async def forget(memory_id: str, ctx: Context[Any, Any]) -> dict[str, Any]:
        """Delete one memory for good, with everything membank derived from it, by the id that
        `recall` returned. Only when the user explicitly asks to forget or delete something;
        it cannot be undone. Needs the "full" permission, which the user grants per app."""
        return dict(await run(ctx, "forget", {"memory_id": memory_id}))

    @tool("Who the user is", read_only=True)
    async def persona(ctx: Context[Any, Any]) -> dict[str, Any]:
        """Who the user is, as membank has come to know them: the persona (traits, likes,
        circumstances) and the overall summary of what they have talked about, with the date
        each was last updated. Call it at the start of a conversation to personalise answers.
        Either may be null while membank has not consolidated enough yet."""
        return dict(await run(ctx, "persona", {}))

    @tool("About someone or something", read_only=True)
    async def about(name: str, ctx: Context[Any, Any], k: int = 50) -> dict[str, Any]:
        """Everything membank remembers about one person, place, pet, organisation, thing or
        event, in the order it happened: use it for "what happened with X", "when did my sister
        ...", "what do I know about Lisbon". `name` is the name or a way the user refers to it
        ("Joanna", "Jo", "my sister"); `k` caps how many memories (1-50). Returns the entity's
        name, kind, aliases and its timeline (each memory with text, date, kind, id)."""
        return dict(await run(ctx, "about", {"name": name, "k": k}))

    @tool("Daily summaries", read_only=True)
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


class _RepliesToBadLines:
    """The stdio read stream, minus the lines that are not JSON-RPC: each gets its error reply
    (-32700 parse error, -32600 invalid request, id null) instead of silence; the SDK only logs
    them at DEBUG, so a host's bad line would wait forever."""

    def __init__(self, inner: Any, out: Any) -> None:
        self._inner = inner
        self._out = out

    @property
    def last_context(self) -> contextvars.Context | None:
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Any:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return item
            await self._out.send(SessionMessage(error_reply(item)))

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> _RepliesToBadLines:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def __aenter__(self) -> _RepliesToBadLines:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> bool | None:
        return bool(await self._inner.__aexit__(*exc))


def error_reply(exc: Exception) -> JSONRPCError:
    """A line that is not JSON at all is a parse error; JSON that is no JSON-RPC message, an
    invalid request (JSON-RPC 2.0 §5.1)."""
    not_json = isinstance(exc, ValidationError) and any(
        e["type"] == "json_invalid" for e in exc.errors()
    )
    if not_json or not isinstance(exc, ValidationError):
        error = ErrorData(code=PARSE_ERROR, message="Parse error: the line is not valid JSON.")
    else:
        error = ErrorData(
            code=INVALID_REQUEST, message="Invalid request: the line is not a JSON-RPC message."
        )
    log.info("mcp stdio: answered a bad line with %s", error.code)
    return JSONRPCError(jsonrpc="2.0", id=None, error=error)


def run_stdio(server: MCPServer[Any]) -> None:
    """`server.run("stdio")`, except that a bad line gets its JSON-RPC error reply."""

    async def serve() -> None:
        async with stdio_server() as (read_stream, write_stream):
            # The SDK's own run_stdio_async does the same, minus the replies; MCPServer has no
            # public way to run on given streams (test_mcp pins this against SDK updates).
            lowlevel = server._lowlevel_server
            await lowlevel.run(
                _RepliesToBadLines(read_stream, write_stream),
                write_stream,
                lowlevel.create_initialization_options(),
            )

    anyio.run(serve)

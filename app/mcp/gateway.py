"""One MCP tool call against an open data folder: permission, pause, the call, the audit entry.

The same code runs inside the membank window (requests handed over the single-instance socket)
and inside membank-mcp when no window runs, so both obey the same rules. Results are plain
JSON-able dicts; refusals and bad input come back as `ToolRefused` with a one-line message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from app.config import McpConfig, Permission
from app.mcp.access import MemoryAccess
from memory.clock import Clock, is_day
from memory.records import PERSONAL, Memory, Recalled
from memory.storage import audit
from models.errors import MembankError

log = logging.getLogger(__name__)

READ_TOOLS = frozenset({"recall", "persona", "summaries", "resource", "about"})
# The least permission each tool needs.
NEEDS: dict[str, Permission] = {
    **{tool: "read" for tool in READ_TOOLS},
    "remember": "remember",
    "forget": "full",
}
RANK: dict[Permission, int] = {"read": 0, "remember": 1, "full": 2}
PERMISSION_TEXT: dict[Permission, str] = {
    "read": "read only",
    "remember": "read and remember",
    "full": "full (read, remember, forget)",
}
MAX_K = 50
MAX_TEXT = 4000


class ToolRefused(MembankError):
    """The call is not allowed or cannot be done; the message says why and what to do."""

    title = "Refused"


def permission_for(config: McpConfig, client: str) -> Permission:
    entry = config.clients.get(client)
    return entry.permission if entry is not None else config.default_permission


class McpGateway:
    """Runs tool calls on the thread that owns the store (the window's store executor, or
    membank-mcp's own thread while it holds the data folder)."""

    def __init__(
        self,
        access: MemoryAccess,
        clock: Clock,
        config: Callable[[], McpConfig],
        paused: Callable[[], bool] = lambda: False,
        config_file: Path | None = None,
    ) -> None:
        self.access = access
        self.clock = clock
        self._config = config
        self._paused = paused
        # Named in full in every refusal that says what to change in it.
        self.config_file = str(config_file) if config_file is not None else "config.toml"

    def call(self, client: str, tool: str, args: Mapping[str, Any]) -> Any:
        """The tool's result, or ToolRefused; every call is audited (ids only, never text)."""
        if tool not in NEEDS:
            raise ToolRefused(f"membank has no tool {tool!r}.")
        config = self._config()
        broken = config.broken.get(client)
        if broken is not None:
            self._audit(client, tool, "refused", [])
            log.info(
                "mcp %s refused: the entry of %r in %s is not valid", tool, client, self.config_file
            )
            raise ToolRefused(
                f'membank refused {tool}: the entry [mcp.clients."{client}"] in '
                f"{self.config_file} is not valid ({broken.problem}). Fix or delete that entry "
                "there, then try again; other apps are not affected."
            )
        granted = permission_for(config, client)
        entry = config.clients.get(client)
        space = entry.space if entry is not None else PERSONAL
        if RANK[granted] < RANK[NEEDS[tool]]:
            self._audit(client, tool, "refused", [])
            raise ToolRefused(
                f"membank refused {tool}: the app {client!r} may only "
                f"{'read' if granted == 'read' else 'read and remember'} "
                f"({PERMISSION_TEXT[granted]}). To allow it, open membank > Connected apps, or "
                f'set [mcp.clients."{client}"] permission = "{NEEDS[tool]}" in {self.config_file}.'
            )
        if tool not in READ_TOOLS and self._paused():
            self._audit(client, tool, "refused", [])
            raise ToolRefused(
                f"membank refused {tool}: memory is paused in the membank window, so nothing is "
                "stored or forgotten. Resume memory there (Memory > Pause memory) and try again."
            )
        try:
            result, ids = self._run(tool, args, space, actor(client))
        except MembankError as exc:
            self._audit(client, tool, "error", [])
            if isinstance(exc, ToolRefused):
                raise
            raise ToolRefused(str(exc)) from exc
        self._audit(client, tool, "ok", ids)
        return result

    def _run(
        self, tool: str, args: Mapping[str, Any], space: str, who: str
    ) -> tuple[Any, list[str]]:
        """`space`: the app's memory space (its own memories and the shared ones); `who`: the
        audit actor of what the call changes."""
        a = self.access
        if tool == "recall":
            query = _text(args, "query")
            k = _k(args.get("k"))
            found = a.recall(query, k, space)
            return [recalled_json(r) for r in found], [r.memory.id for r in found]
        if tool == "remember":
            memory = a.remember(_text(args, "text"), space, who)
            return memory_json(memory), [memory.id]
        if tool == "forget":
            report = a.forget(_text(args, "memory_id"), space, who)
            ids = [*report.forgotten, *report.derived]
            return {
                "forgotten": list(report.forgotten),
                "derived_removed": len(report.derived),
            }, ids
        if tool in ("persona", "resource"):
            persona, summary = a.persona(space)
            ids = [m.id for m in (persona, summary) if m is not None]
            return {
                "persona": persona.text if persona else None,
                "persona_updated": _date(persona.created_at) if persona else None,
                "summary": summary.text if summary else None,
                "summary_updated": _date(summary.created_at) if summary else None,
            }, ids
        if tool == "about":
            name = _text(args, "name")
            timeline = a.about(name, _k(args.get("k"), default=MAX_K), space)
            e = timeline.entity
            return {
                "name": e.name,
                "kind": e.kind,
                "aliases": list(e.aliases),
                "timeline": [memory_json(m) for m in timeline.memories],
            }, [m.id for m in timeline.memories]
        if tool == "summaries":
            day = args.get("day") or None
            if day is not None and not (isinstance(day, str) and is_day(day)):
                raise ToolRefused("day must be a date like 2025-03-14, or left out.")
            days = a.days(day, 14, space)
            out = [
                {
                    "day": d.day,
                    "summary": d.summary.text if d.summary else None,
                    "persona": d.persona.text if d.persona else None,
                }
                for d in days
            ]
            ids = [m.id for d in days for m in (d.summary, d.persona) if m is not None]
            return out, ids
        raise AssertionError(tool)

    def _audit(self, client: str, tool: str, outcome: str, ids: list[str]) -> None:
        detail = {"client": client, "tool": tool, "outcome": outcome, "ids": ids[:MAX_K]}
        one = ids[0] if len(ids) == 1 else None
        try:
            with self.access.store.transaction() as db:
                audit.record(db.conn, self.clock.now(), "accessed", actor(client), one, detail)
        except Exception:  # noqa: BLE001 - an audit failure must not hide the call's own outcome
            log.exception("could not write the audit entry for an MCP %s call", tool)


def actor(client: str) -> str:
    """The audit actor of an app's calls and of what they change: `mcp:<client>`."""
    return f"mcp:{client[:64]}"


def _text(args: Mapping[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ToolRefused(f"{name} is empty: give it some text.")
    if len(value) > MAX_TEXT:
        raise ToolRefused(f"{name} is too long ({len(value)} characters; at most {MAX_TEXT}).")
    return value.strip()


def _k(value: Any, default: int = 6) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_K:
        raise ToolRefused(f"k must be a whole number from 1 to {MAX_K}.")
    return value


def _date(at: datetime) -> str:
    return at.date().isoformat()


def memory_json(memory: Memory) -> dict[str, Any]:
    return {
        "id": memory.id,
        "text": memory.text,
        "kind": str(memory.kind),
        "date": _date(memory.event_time),
        "stored_at": memory.created_at.isoformat(timespec="seconds"),
    }


def recalled_json(r: Recalled) -> dict[str, Any]:
    return {
        **memory_json(r.memory),
        "score": round(r.score, 4),
        "retention": round(r.retention, 3),  # the forgetting curve: 1 fresh, near 0 fading
    }

"""The MCP gateway: permissions per app, pause, argument checks, and an audit entry per call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Config, McpClientConfig, McpConfig
from app.mcp.access import MemoryAccess
from app.mcp.apps import connected_apps, with_permission
from app.mcp.gateway import McpGateway, ToolRefused
from app.mcp.ipc import McpRequest, socket_address
from memory.clock import ManualClock
from memory.storage.audit import entries
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, make_bank
from tests.unit.wiring import make_services

CONFIG = McpConfig(
    clients={
        "notes-app": McpClientConfig(permission="remember"),
        "admin": McpClientConfig(permission="full"),
    }
)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[McpGateway]:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    s = make_services(Config(), store, ManualClock(T0), bank)  # no chat model, as membank-mcp
    access = MemoryAccess(s.store, s.host, s.curation, s.privacy, s.clock)
    paused = {"on": False}
    gw = McpGateway(access, s.clock, lambda: CONFIG, lambda: paused["on"])
    gw.paused_flag = paused  # type: ignore[attr-defined]
    yield gw
    bank.close()
    store.close()


def test_each_permission_allows_exactly_its_tools(gateway: McpGateway) -> None:
    with pytest.raises(ToolRefused, match="may only read"):
        gateway.call("stranger", "remember", {"text": "The user likes tea."})
    note = gateway.call("notes-app", "remember", {"text": "The user likes tea."})
    assert note["kind"] == "note" and note["date"] == T0.date().isoformat()
    found = gateway.call("stranger", "recall", {"query": "tea"})
    assert [m["id"] for m in found] == [note["id"]]
    with pytest.raises(ToolRefused, match="read and remember"):
        gateway.call("notes-app", "forget", {"memory_id": note["id"]})
    done = gateway.call("admin", "forget", {"memory_id": note["id"]})
    assert done["forgotten"] == [note["id"]]
    assert gateway.call("admin", "recall", {"query": "tea"}) == []


def test_pause_refuses_writes_but_not_reads(gateway: McpGateway) -> None:
    gateway.paused_flag["on"] = True  # type: ignore[attr-defined]
    with pytest.raises(ToolRefused, match="memory is paused"):
        gateway.call("admin", "remember", {"text": "Paused note"})
    assert gateway.call("admin", "persona", {})["persona"] is None
    assert gateway.access.store.count_memories() == 0


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("recall", {"query": "  "}, "query is empty"),
        ("recall", {"query": "tea", "k": 0}, "k must be"),
        ("recall", {"query": "tea", "k": True}, "k must be"),
        ("remember", {"text": "x" * 5000}, "too long"),
        ("forget", {"memory_id": "nope-not-there"}, "no memory"),
        ("summaries", {"day": 3}, "day must be"),
        ("drop_tables", {}, "no tool"),
    ],
)
def test_bad_arguments_get_one_line_answers(
    gateway: McpGateway, tool: str, args: dict[str, object], message: str
) -> None:
    with pytest.raises(ToolRefused, match=message):
        gateway.call("admin", tool, args)


def test_every_call_is_audited_by_id_never_text(gateway: McpGateway) -> None:
    note = gateway.call("notes-app", "remember", {"text": "My PIN is 4321"})
    gateway.call("notes-app", "recall", {"query": "PIN"})
    with pytest.raises(ToolRefused):
        gateway.call("stranger", "forget", {"memory_id": note["id"]})
    log = [e for e in entries(gateway.access.store) if e.event == "accessed"]
    assert [(e.detail["client"], e.detail["tool"], e.detail["outcome"]) for e in log] == [
        ("stranger", "forget", "refused"),
        ("notes-app", "recall", "ok"),
        ("notes-app", "remember", "ok"),
    ]
    assert log[1].detail["ids"] == [note["id"]] and log[2].memory_id == note["id"]
    assert "4321" not in repr([e.detail for e in log])

    apps = {a.name: a for a in connected_apps(gateway.access.store, CONFIG)}
    assert apps["notes-app"].calls == 2 and apps["notes-app"].last_tool == "recall"
    assert apps["stranger"].refused == 1 and apps["stranger"].permission == "read"
    assert apps["admin"].calls == 0 and apps["admin"].configured  # configured, never seen


def test_with_permission_changes_one_app_only() -> None:
    config = Config(mcp=CONFIG)
    config = Config(
        mcp=CONFIG.model_copy(
            update={"clients": {**CONFIG.clients, "ide": McpClientConfig(space="work")}}
        )
    )
    assert with_permission(config, "ide", "full").mcp.clients["ide"].space == "work"
    changed = with_permission(config, "stranger", "full")
    assert changed.mcp.clients["stranger"].permission == "full"
    assert changed.mcp.clients["notes-app"].permission == "remember"
    assert config.mcp.clients.get("stranger") is None  # the original is untouched


def test_requests_round_trip_and_the_socket_lives_where_qt_puts_it(tmp_path: Path) -> None:
    request = McpRequest("cursor", "recall", {"query": "tea\nwith milk", "k": 3})
    line = request.encode().decode()
    assert line.startswith("mcp ") and line.count("\n") == 1
    assert McpRequest.decode(line[4:].strip()) == request
    with pytest.raises(ValueError):
        McpRequest.decode('{"v": 1, "tool": "recall"}')
    address = socket_address(tmp_path)
    assert Path(address).is_absolute() and Path(address).name.startswith("membank-")

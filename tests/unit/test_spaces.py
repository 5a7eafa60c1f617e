"""Memory spaces: migration, recall per space (chat path and MCP), shared memories, per-space
consolidation keys, names checked."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.config import Config, McpClientConfig, McpConfig
from app.mcp.access import MemoryAccess
from app.mcp.gateway import McpGateway, ToolRefused
from app.services.events import RecallEvent
from memory.bank import MemoryBank
from memory.clock import ManualClock
from memory.consolidation.hierarchy import in_space
from memory.errors import SpaceNameError
from memory.records import Kind, check_space
from memory.storage.schema import MIGRATIONS
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, ScriptedLLM, make_bank
from tests.unit.wiring import Services, make_services

WORK = "The quarterly budget review with Dana is on Thursday"
SHARED = "The user's laptop password hint is the budgie's name"
HOME = "The budgie at home is called Kiwi"


@dataclass
class Setup:
    services: Services
    bank: MemoryBank


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    services = make_services(Config(), store, ManualClock(T0), bank, ScriptedLLM(("Noted.",)))
    yield Setup(services, bank)
    bank.close()
    store.close()


def seed(s: Setup) -> dict[str, str]:
    work = s.services.curation.remember(WORK, "work")
    shared = s.services.curation.remember(SHARED, "work")
    s.services.curation.set_space(shared.id, "work", shared=True)
    home = s.services.curation.remember(HOME)
    return {"work": work.id, "shared": shared.id, "home": home.id}


def recalled_in_chat(s: Setup, space: str, text: str) -> set[str]:
    conversation = s.services.chat.new_conversation(space=space)
    events = list(s.services.chat.send(conversation.id, text, cancel=threading.Event()))
    first = events[0]
    assert isinstance(first, RecallEvent)
    return {r.memory.id for r in first.memories}


def test_a_work_memory_never_reaches_a_personal_chat_and_a_shared_one_reaches_both(
    setup: Setup,
) -> None:
    ids = seed(setup)
    question = "budget review Dana Thursday budgie password Kiwi"
    personal = recalled_in_chat(setup, "personal", question)
    work = recalled_in_chat(setup, "work", question)
    assert ids["work"] not in personal and ids["work"] in work
    assert ids["shared"] in personal and ids["shared"] in work
    assert ids["home"] in personal and ids["home"] not in work
    # What the work chat said is remembered in work, so it stays out of personal chats too.
    turns = [m for m in setup.services.curation.memories() if m.kind is Kind.TURN]
    assert {m.space for m in turns} == {"personal", "work"}
    curation = setup.services.curation
    unfiltered = {r.memory.id for r in curation.search("quarterly budget review", 10)}
    assert ids["work"] in unfiltered  # no space given (the CLI's default search): every space
    in_personal = curation.search("quarterly budget review", 10, "personal")
    assert ids["work"] not in {r.memory.id for r in in_personal}


def test_mcp_clients_see_their_own_space(setup: Setup) -> None:
    ids = seed(setup)
    config = McpConfig(
        clients={
            "ide": McpClientConfig(permission="full", space="work"),
            "notes": McpClientConfig(permission="remember"),
        }
    )
    s = setup.services
    access = MemoryAccess(s.store, s.host, s.curation, s.privacy, s.clock)
    gateway = McpGateway(access, s.clock, lambda: config)
    query = {"query": "budget review Dana budgie password Kiwi", "k": 10}
    ide = {m["id"] for m in gateway.call("ide", "recall", query)}
    notes = {m["id"] for m in gateway.call("notes", "recall", query)}
    assert ids["work"] in ide and ids["work"] not in notes
    assert ids["shared"] in ide and ids["shared"] in notes
    assert ids["home"] in notes and ids["home"] not in ide
    note = gateway.call("ide", "remember", {"text": "Ship the release on Friday"})
    assert s.curation.memory(note["id"]).space == "work"
    with pytest.raises(ToolRefused, match="not in the space|no memory"):
        gateway.call("ide", "forget", {"memory_id": ids["home"]})  # another space's memory
    assert s.curation.memory(ids["home"]).space == "personal"


def test_lists_and_overviews_filter_by_space(setup: Setup) -> None:
    ids = seed(setup)
    curation = setup.services.curation
    assert {m.id for m in curation.memories(space="personal")} == {ids["home"], ids["shared"]}
    assert curation.spaces() == ["personal", "work"]
    assert in_space("global_persona", "personal") == "global_persona"
    assert in_space("daily_summary", "work") == "daily_summary@work"


def test_existing_stores_migrate_with_everything_personal(tmp_path: Path) -> None:
    path = tmp_path / "membank.sqlite3"
    conn = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:4]):  # a store from before spaces
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number + 1};\nCOMMIT;")
    conn.execute(
        "INSERT INTO conversations (title, created_at, updated_at) VALUES ('Old', ?, ?)",
        [T0.isoformat(), T0.isoformat()],
    )
    conn.execute(
        "INSERT INTO memories (id, kind, text, created_at, event_time, updated_at) "
        "VALUES ('old1', 'note', 'From before spaces', ?, ?, ?)",
        [T0.isoformat()] * 3,
    )
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    try:
        memory = store.memory("old1")
        assert (memory.space, memory.shared) == ("personal", False)
        assert store.conversations()[0].space == "personal"
        assert store.spaces() == ["personal"]
    finally:
        store.close()


@pytest.mark.parametrize("name", ["", "Work Stuff", "a:b", "x" * 33, "@work"])
def test_space_names_are_checked(name: str) -> None:
    with pytest.raises(SpaceNameError):
        check_space(name)
    assert check_space(" Thesis ") == "thesis"


def test_consolidation_keeps_each_space_to_itself(tmp_path: Path) -> None:
    from datetime import timedelta

    from memory.consolidation.consolidator import Consolidator
    from memory.consolidation.hierarchy import HierarchyStore
    from tests.unit.fakes import StepLLM, say

    bank = make_bank(tmp_path)
    try:
        store = bank.store
        home = store.create_conversation("home", T0)
        work = store.create_conversation("work", T0, "work")
        say(bank, home.id, "I live in Lisbon with my partner", T0)
        say(bank, work.id, "I lead the payments team at Acme", T0 + timedelta(minutes=1))
        report = Consolidator(bank, StepLLM()).run(T0 + timedelta(hours=2))
        assert report.failures == []
        h = HierarchyStore(store)
        day = T0.date().isoformat()
        personal_day = h.by_key(f"daily_summary:{day}")
        work_day = h.by_key(f"daily_summary@work:{day}")
        assert personal_day is not None and personal_day.space == "personal"
        assert work_day is not None and work_day.space == "work"
        assert "Acme" not in personal_day.text and "Lisbon" not in work_day.text
        persona, work_persona = h.by_key("global_persona"), h.by_key("global_persona@work")
        assert persona is not None and work_persona is not None
        assert "Acme" not in persona.text and "payments" not in persona.text
        facts = h.of_kind(Kind.FACT)
        assert {f.space for f in facts if "Acme" in f.text} <= {"work"}
        assert {f.space for f in facts if "Lisbon" in f.text} <= {"personal"}
    finally:
        bank.close()
        bank.store.close()

"""Regenerate, "remember this" on a message, and search across all conversations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Config, LLMConfig
from app.services.events import ChatEvent, RecallEvent, ReplyEvent
from memory.clock import ManualClock
from memory.records import Kind
from memory.storage.store import SQLiteStore
from models.errors import MembankError
from tests.unit.fakes import T0, ScriptedLLM, make_bank
from tests.unit.wiring import Services, make_services

# These tests read the full prompt's layout (the compact one has tests of its own).
FULL_PROMPT = Config(llm=LLMConfig(prompt_style="full"))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Services]:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    service = make_services(FULL_PROMPT, store, ManualClock(T0))
    service.host.attach(bank, ScriptedLLM(("First", " answer")))
    yield service
    bank.close()
    store.close()


def run(events: Iterator[ChatEvent]) -> list[ChatEvent]:
    return list(events)


def test_regenerate_replaces_the_last_reply_and_stores_nothing_twice(
    service: Services,
) -> None:
    conversation = service.chat.new_conversation()
    run(
        service.chat.send(
            conversation.id, "My sister Alice lives in Lisbon", cancel=threading.Event()
        )
    )
    turns_before = [m.id for m in service.curation.memories() if m.kind is Kind.TURN]
    old_reply = service.chat.messages(conversation.id)[-1]
    assert service.host.models.llm is not None
    service.host.models.llm.pieces = ["Second", " answer"]  # type: ignore[attr-defined]

    events = run(service.chat.regenerate(conversation.id, cancel=threading.Event()))

    recall, reply = events[0], events[-1]
    assert isinstance(recall, RecallEvent) and isinstance(reply, ReplyEvent)
    # The message being answered does not recall its own turn memory.
    assert recall.memories == ()
    assert recall.user_message.text == "My sister Alice lives in Lisbon"
    messages = service.chat.messages(conversation.id)
    assert [(m.role, m.text) for m in messages] == [
        ("user", "My sister Alice lives in Lisbon"),
        ("assistant", "Second answer"),
    ]
    assert old_reply.text not in [m.text for m in messages]
    assert [m.id for m in service.curation.memories() if m.kind is Kind.TURN] == turns_before


def test_regenerate_after_an_earlier_exchange_keeps_the_history(service: Services) -> None:
    conversation = service.chat.new_conversation()
    run(service.chat.send(conversation.id, "I am planning a trip", cancel=threading.Event()))
    run(service.chat.send(conversation.id, "Any tips?", cancel=threading.Event()))
    events = run(service.chat.regenerate(conversation.id))
    prompt = events[0].prompt  # type: ignore[union-attr]
    assert [(m["role"], m["content"]) for m in prompt[1:]] == [
        ("user", "I am planning a trip"),
        ("assistant", "First answer"),
        ("user", "Any tips?"),
    ]
    assert len(service.chat.messages(conversation.id)) == 4


def test_regenerate_in_an_empty_conversation_is_a_clear_error(service: Services) -> None:
    conversation = service.chat.new_conversation()
    with pytest.raises(MembankError, match="no message to answer again"):
        run(service.chat.regenerate(conversation.id))


def test_remember_message_makes_a_linked_note(service: Services) -> None:
    conversation = service.chat.new_conversation()
    run(service.chat.send(conversation.id, "hello", cancel=threading.Event()))
    reply = service.chat.messages(conversation.id)[-1]
    note = service.curation.remember_message(reply.id)
    assert note.kind is Kind.NOTE
    assert note.text == "First answer"
    assert note.source_message_ids == (reply.id,)
    assert note.conversation_id == conversation.id
    assert [r.memory.id for r in service.curation.search("First answer")][0] == note.id


def test_search_messages_finds_both_sides_in_every_conversation(service: Services) -> None:
    a = service.chat.new_conversation()
    run(service.chat.send(a.id, "We adopted a kitten named Miso", cancel=threading.Event()))
    b = service.chat.new_conversation()
    run(service.chat.send(b.id, "The kitten knocked over a plant", cancel=threading.Event()))
    hits = service.chat.search_messages("kittens")  # stemmed: kittens matches kitten
    assert sorted(h.message.conversation_id for h in hits) == sorted([a.id, b.id])
    assert all("[kitten]" in h.snippet for h in hits)
    assert {h.conversation_title for h in hits} == {
        "We adopted a kitten named Miso",
        "The kitten knocked over a plant",
    }
    assert [h.message.role for h in service.chat.search_messages("answer")] == ["assistant"] * 2
    assert service.chat.search_messages("the a of") == []


def test_deleting_a_conversation_removes_its_messages_from_search(
    service: Services,
) -> None:
    a = service.chat.new_conversation()
    run(service.chat.send(a.id, "zebra crossing", cancel=threading.Event()))
    assert service.chat.search_messages("zebra")
    service.chat.delete_conversation(a.id)
    assert service.chat.search_messages("zebra") == []
    rows = service.store.rows(
        "SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH 'zebra'"
    )
    assert rows[0]["n"] == 0

"""ChatService (and MemoryCuration's remember and search) with a real store, a real Chroma
index, a hash embedder and a scripted LLM."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from app.config import Config, LLMConfig
from app.engine.host import ModelsNotReadyError
from app.services.chat import DEFAULT_TITLE
from app.services.events import ChatEvent, RecallEvent, ReplyEvent, TokenEvent
from memory.bank import MemoryBank
from memory.clock import ManualClock
from memory.records import Kind
from memory.storage.store import SQLiteStore
from models.errors import MembankError
from tests.unit.fakes import T0, ScriptedLLM, make_bank
from tests.unit.wiring import Services, make_services

# These tests read the full prompt's layout (the compact one has tests of its own).
FULL_PROMPT = Config(llm=LLMConfig(prompt_style="full"))

PIECES = ("Noted", ", ", "thank you", ".")
FACT = "My sister Alice lives in Lisbon"
QUESTION = "Where does my sister Alice live?"


@dataclass
class Setup:
    service: Services
    store: SQLiteStore
    bank: MemoryBank
    llm: ScriptedLLM
    clock: ManualClock


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    clock = ManualClock(T0)
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    llm = ScriptedLLM(PIECES)
    service = make_services(FULL_PROMPT, store, clock)
    service.host.attach(bank, llm)
    yield Setup(service, store, bank, llm, clock)
    bank.close()
    store.close()


def chat(service: Services, conversation_id: int, text: str) -> list[ChatEvent]:
    return list(service.chat.send(conversation_id, text, cancel=threading.Event()))


def reply_of(events: list[ChatEvent]) -> ReplyEvent:
    assert isinstance(events[-1], ReplyEvent)
    return events[-1]


def test_send_yields_recall_then_tokens_then_reply(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()
    events = chat(setup.service, conversation.id, "  Hello there  ")

    assert isinstance(events[0], RecallEvent)
    assert all(isinstance(e, TokenEvent) for e in events[1:-1])
    assert [e.text for e in events[1:-1]] == list(PIECES)  # type: ignore[union-attr]
    reply = reply_of(events)
    assert reply.stopped is False
    assert reply.message.role == "assistant"
    assert reply.message.text == "".join(PIECES)

    recall = events[0]
    assert isinstance(recall, RecallEvent)
    assert recall.user_message.text == "Hello there"
    assert recall.memories == ()
    # The model got exactly the prompt the RecallEvent shows.
    assert setup.llm.prompts == [list(recall.prompt)]
    assert recall.prompt[-1] == {"role": "user", "content": "Hello there"}

    stored = setup.store.messages(conversation.id)
    assert [(m.role, m.text) for m in stored] == [
        ("user", "Hello there"),
        ("assistant", "".join(PIECES)),
    ]
    assert stored[1].id == reply.message.id


def test_user_message_is_stored_and_remembered_as_a_turn(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()
    events = chat(setup.service, conversation.id, FACT)
    user_message = events[0].user_message  # type: ignore[union-attr]

    memories = setup.store.memories()
    assert len(memories) == 1  # the reply is not a memory, only what the user said
    memory = memories[0]
    assert memory.kind is Kind.TURN
    assert memory.text == FACT
    assert memory.conversation_id == conversation.id
    assert memory.source_message_ids == (user_message.id,)
    assert memory.created_at == T0
    assert setup.bank.index_report().consistent


def test_user_turn_is_kept_even_if_generation_fails(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()

    def broken(*args: object, **kwargs: object) -> Iterator[str]:
        raise RuntimeError("model crashed")
        yield ""

    setup.llm.stream_chat = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="model crashed"):
        chat(setup.service, conversation.id, FACT)
    assert [m.text for m in setup.store.messages(conversation.id)] == [FACT]
    assert [m.text for m in setup.store.memories()] == [FACT]


def test_a_new_conversation_recalls_a_fact_from_an_earlier_one(setup: Setup) -> None:
    first = setup.service.chat.new_conversation()
    chat(setup.service, first.id, FACT)
    setup.clock.advance(days=1)

    second = setup.service.chat.new_conversation()
    events = chat(setup.service, second.id, QUESTION)

    recall = events[0]
    assert isinstance(recall, RecallEvent)
    assert [r.memory.text for r in recall.memories] == [FACT]
    system = str(recall.prompt[0]["content"])
    assert f"yesterday] {FACT}" in system
    # The prompt carries no turns of the first conversation, only the memory.
    assert [m["role"] for m in recall.prompt] == ["system", "user"]

    reply = reply_of(events)
    assert [r.memory.text for r in reply.used] == [FACT]
    assert [m.text for m in reply.message.used_memories] == [FACT]
    stored = setup.store.messages(second.id)
    assert stored[-1].role == "assistant"
    assert [m.text for m in stored[-1].used_memories] == [FACT]
    assert stored[0].used_memories == ()

    # Using the memory strengthened it and reset its clock.
    used = setup.store.memory(reply.used[0].memory.id)
    first_strength = setup.bank.decay.initial(used.kind, used.text)
    # A day later: S grows by the spacing-effect gain at that day's retention.
    expected = setup.bank.decay.after_recall(first_strength, math.exp(-1 / first_strength))
    assert used.strength == pytest.approx(expected) and expected > first_strength
    assert used.last_recalled_at == T0 + timedelta(days=1)
    assert setup.service.curation.used_by(used.id) == [stored[-1].id]


def test_the_message_being_sent_does_not_recall_itself(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()
    events = chat(setup.service, conversation.id, FACT)
    assert events[0].memories == ()  # type: ignore[union-attr]


def test_history_of_the_same_conversation_goes_into_the_prompt(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()
    chat(setup.service, conversation.id, "I am planning a trip")
    events = chat(setup.service, conversation.id, "Any tips?")
    prompt = events[0].prompt  # type: ignore[union-attr]
    assert [(m["role"], m["content"]) for m in prompt[1:]] == [
        ("user", "I am planning a trip"),
        ("assistant", "".join(PIECES)),
        ("user", "Any tips?"),
    ]


def test_cancel_after_the_first_token_stops_the_reply(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()
    cancel = threading.Event()
    events: list[ChatEvent] = []
    for event in setup.service.chat.send(conversation.id, FACT, cancel=cancel):
        events.append(event)
        if isinstance(event, TokenEvent):
            cancel.set()
    tokens = [e for e in events if isinstance(e, TokenEvent)]
    assert len(tokens) == 1 < len(PIECES)
    reply = reply_of(events)
    assert reply.stopped is True
    assert reply.message.text == PIECES[0]
    assert setup.store.messages(conversation.id)[-1].text == PIECES[0]


def test_cancel_before_any_token_stores_a_stopped_reply(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()
    cancel = threading.Event()
    cancel.set()
    events = list(setup.service.chat.send(conversation.id, FACT, cancel=cancel))
    assert not [e for e in events if isinstance(e, TokenEvent)]
    reply = reply_of(events)
    assert reply.stopped is True
    assert reply.message.text == "(stopped)"


def test_remember_stores_a_note(setup: Setup) -> None:
    memory = setup.service.curation.remember("  Dentist appointment on Friday at 3pm ")
    assert memory.kind is Kind.NOTE
    assert memory.text == "Dentist appointment on Friday at 3pm"
    assert setup.store.memory(memory.id) == memory
    assert setup.bank.index_report().consistent
    found = setup.service.curation.search("When is the dentist appointment?")
    assert [r.memory.id for r in found] == [memory.id]


def test_remember_refuses_empty_text(setup: Setup) -> None:
    with pytest.raises(MembankError, match="empty"):
        setup.service.curation.remember("   ")
    assert setup.store.count_memories() == 0


def test_send_of_only_whitespace_does_nothing(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()
    assert chat(setup.service, conversation.id, "  \n ") == []
    assert setup.store.messages(conversation.id) == []
    assert setup.llm.prompts == []


def test_send_and_remember_before_attach_raise_models_not_ready(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    try:
        service = make_services(FULL_PROMPT, store, ManualClock(T0))
        assert not service.host.ready
        conversation = service.chat.new_conversation()  # conversations work without models
        with pytest.raises(ModelsNotReadyError):
            list(service.chat.send(conversation.id, "hello"))
        with pytest.raises(ModelsNotReadyError):
            service.curation.remember("a note")
        with pytest.raises(ModelsNotReadyError):
            service.curation.search("anything")
        assert store.messages(conversation.id) == []
    finally:
        store.close()


def test_first_message_becomes_the_conversation_title(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()
    assert conversation.title == DEFAULT_TITLE
    chat(setup.service, conversation.id, "  Plans   for the\nweekend ")
    assert setup.store.conversation(conversation.id).title == "Plans for the weekend"
    chat(setup.service, conversation.id, "Something else entirely")
    assert setup.store.conversation(conversation.id).title == "Plans for the weekend"


def test_a_long_first_message_is_shortened_for_the_title(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation()
    chat(setup.service, conversation.id, "word " * 30)
    title = setup.store.conversation(conversation.id).title
    assert len(title) <= 48
    assert title.endswith("…")
    assert title.startswith("word word")


def test_a_chosen_title_is_not_replaced(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation("Holiday")
    chat(setup.service, conversation.id, "Plans for the weekend")
    assert setup.store.conversation(conversation.id).title == "Holiday"


def test_rename_to_blank_falls_back_to_the_default_title(setup: Setup) -> None:
    conversation = setup.service.chat.new_conversation("Holiday")
    setup.service.chat.rename_conversation(conversation.id, "   ")
    assert setup.store.conversation(conversation.id).title == DEFAULT_TITLE


def test_ask_returns_the_reply_in_a_new_conversation(setup: Setup) -> None:
    reply = setup.service.chat.ask(FACT)
    assert reply.message.text == "".join(PIECES)
    conversations = setup.service.chat.conversations()
    assert len(conversations) == 1
    assert conversations[0].id == reply.message.conversation_id
    assert conversations[0].message_count == 2
    with pytest.raises(MembankError, match="empty"):
        setup.service.chat.ask("   ")
    assert len(setup.service.chat.conversations()) == 1  # no empty conversation left behind

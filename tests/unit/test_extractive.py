"""The extractive answer path: a question about the user's past that a memory answers gets that
memory's words and date first; one no memory answers gets "I don't have that in your memory"
and the closest memory; the model's phrasing stays only when the reply check passes it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config import Config, LLMConfig
from app.services.chat import without_flagged
from app.services.events import ChatEvent, ReplyEvent, TokenEvent
from memory.clock import ManualClock
from memory.recall.extractive import NOT_IN_MEMORY, compose, is_question, keep_unled, lead_for
from memory.records import Kind, Memory, Message, State
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, ScriptedLLM, make_bank
from tests.unit.wiring import Services, make_services

WHEN = datetime(2023, 4, 27, 20, 0, tzinfo=UTC)


def memory(text: str, ident: str) -> Memory:
    return Memory(ident, Kind.TURN, text, WHEN, WHEN, 1.0, None, False, State.ACTIVE)


XIAMEN = memory("My favorite attraction in Xiamen is Gulangyu Island.", "xiamen")
CONCERT = memory("I went to see Jay Chou's concert and it was very stunning.", "concert")


def test_a_question_a_memory_answers_leads_with_its_words_and_date() -> None:
    lead = lead_for("What is my favorite attraction in Xiamen?", [CONCERT, XIAMEN])
    assert lead is not None and lead.answers and lead.memory is XIAMEN
    assert lead.text == (
        "From your memory, 27 April 2023: “My favorite attraction in Xiamen is Gulangyu Island.”"
    )


def test_a_question_about_the_past_no_memory_answers_gets_the_closest_memory() -> None:
    lead = lead_for("What is my brother's name?", [CONCERT, XIAMEN])
    assert lead is not None and not lead.answers and lead.memory is CONCERT
    assert lead.text.startswith(NOT_IN_MEMORY + " The closest, from 27 April 2023: “I went")
    assert lead_for("What is my brother's name?", []) == type(lead)(NOT_IN_MEMORY, None, False)


@pytest.mark.parametrize(
    "text", ["Tell me a joke about cats.", "How do I fix my bike?", "What is the capital of Peru?"]
)
def test_requests_and_general_questions_go_to_the_model(text: str) -> None:
    assert lead_for(text, [CONCERT, XIAMEN]) is None


def test_questions_are_recognised() -> None:
    assert is_question("Where does my sister live?") and is_question("did I go out")
    assert not is_question("I went out today.")


def test_the_models_phrasing_stays_only_when_the_check_passes() -> None:
    question = "What is my favorite attraction in Xiamen?"
    lead = lead_for(question, [XIAMEN])
    assert lead is not None
    good = compose(lead, question, "Gulangyu Island, in Xiamen.", [XIAMEN])
    assert good == f"{lead.text}\n\nGulangyu Island, in Xiamen."
    invented = compose(lead, question, "The Xiamen Alps.", [XIAMEN])
    refusal = compose(lead, question, "I'm sorry, I don't know.", [XIAMEN])
    assert invented == refusal == compose(lead, question, "", [XIAMEN]) == lead.text


def test_the_phrasing_under_a_newer_memory_may_not_draw_on_an_older_one() -> None:
    later = datetime(2023, 5, 2, 9, 0, tzinfo=UTC)
    berlin = Memory("b", Kind.FACT, "The user lives in Berlin.", later, later, 1.0, None, False,
                    State.ACTIVE)  # fmt: skip
    paris = memory("Hi! I live in Paris and I work as a nurse.", "paris")
    question = "Where do I live?"
    lead = lead_for(question, [berlin, paris])
    assert lead is not None and lead.memory is berlin and "Paris" not in lead.text
    stale = compose(lead, question, "Your home is in Paris.", [berlin, paris])
    assert stale == lead.text  # the older memory's Paris is not said under Berlin
    assert compose(lead, question, "You live in Berlin.", [berlin, paris]).endswith("Berlin.")


def test_flagged_replies_are_left_out_of_the_next_prompts_turns() -> None:
    question = Message(1, 1, "user", "What is my favorite attraction in Xiamen?", WHEN)
    wrong = Message(2, 1, "assistant", "The Xiamen Alps.", WHEN, (XIAMEN,))
    again = Message(3, 1, "user", "Are you sure?", WHEN)
    right = Message(4, 1, "assistant", "Gulangyu Island.", WHEN, (XIAMEN,))
    assert without_flagged([question, wrong, again, right]) == [question, again, right]


def run(service: Services, text: str) -> list[ChatEvent]:
    conversation = service.chat.new_conversation()
    return list(service.chat.send(conversation.id, text, cancel=threading.Event()))


@pytest.fixture
def extractive(tmp_path: Path) -> Iterator[tuple[Services, ScriptedLLM]]:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    llm = ScriptedLLM(["The ", "Xiamen ", "Alps."])  # an invented answer, as the 135M model gave
    service = make_services(
        Config(llm=LLMConfig(prompt_style="extractive")), store, ManualClock(T0)
    )
    service.host.attach(bank, llm)
    yield service, llm
    bank.close()
    store.close()


def test_the_chat_path_leads_with_the_memory_and_drops_an_invented_phrasing(
    extractive: tuple[Services, ScriptedLLM],
) -> None:
    service, llm = extractive
    remembered = service.curation.remember("My favorite attraction in Xiamen is Gulangyu Island.")
    events = run(service, "What is my favorite attraction in Xiamen?")
    reply = events[-1]
    assert isinstance(reply, ReplyEvent)
    tokens = [e.text for e in events if isinstance(e, TokenEvent)]
    assert tokens[0].startswith("From your memory, ")  # streamed first, before the model
    assert reply.message.text == (
        f"From your memory, {remembered.event_time:%-d %B %Y}: “{remembered.text}”"
    )
    assert "Alps" not in reply.message.text
    assert reply.check is not None and not reply.check.flagged
    assert len(llm.prompts) == 1


def test_the_chat_path_replaces_an_invention_about_a_past_no_memory_holds(
    extractive: tuple[Services, ScriptedLLM],
) -> None:
    service, llm = extractive
    service.curation.remember("I went to see Jay Chou's concert.")
    reply = run(service, "What did my brother buy at the concert?")[-1]
    assert isinstance(reply, ReplyEvent)
    assert len(llm.prompts) == 1  # asked: the memory might answer in other words
    assert reply.message.text.startswith(NOT_IN_MEMORY)  # but it said "the Xiamen Alps"
    assert "Alps" not in reply.message.text


def test_the_chat_path_does_not_ask_the_model_with_no_memory_at_all(
    extractive: tuple[Services, ScriptedLLM],
) -> None:
    service, llm = extractive
    reply = run(service, "What is my brother's name?")[-1]
    assert isinstance(reply, ReplyEvent)
    assert reply.message.text == NOT_IN_MEMORY
    assert llm.prompts == []  # nothing to answer from: nothing for the model to invent


def test_a_second_memory_that_answers_as_well_is_quoted_too() -> None:
    home = memory("I am quietly reading at home. Do you have any favorite books?", "home")
    book = memory("Recently, I have been reading a book called To Live.", "book")
    lead = lead_for("What book have I been reading at home?", [home, book])
    assert lead is not None and lead.memory is home
    assert "To Live" in lead.text and "reading at home" in lead.text


def test_the_models_own_reply_stands_when_the_memory_answers_in_other_words() -> None:
    xiamen = memory("I loved Gulangyu Island. The scenery there was amazing.", "gulangyu")
    question = "What is my favorite attraction in Xiamen?"
    assert lead_for(question, [xiamen]) is not None  # no memory answers by the question's words
    assert keep_unled(question, "You loved Gulangyu Island.", [xiamen])
    assert not keep_unled(question, "The Xiamen Alps.", [xiamen])
    assert not keep_unled(question, "I don't know.", [xiamen])


def test_a_flagged_reply_is_no_source_for_consolidation(
    extractive: tuple[Services, ScriptedLLM],
) -> None:
    """Consolidation reads the user's turns only: the invented "Xiamen Alps" of a flagged reply
    never reaches a summary, a fact or the persona."""
    from memory.consolidation.hierarchy import HierarchyStore

    service, llm = extractive
    llm.pieces = ["Your brother ", "Marco ", "lives in the Xiamen Alps."]
    service.curation.remember("I went to see Jay Chou's concert.")
    reply = run(service, "What did my brother buy at the concert?")[-1]
    assert isinstance(reply, ReplyEvent)
    stored = service.chat.messages(reply.message.conversation_id)
    assert "Alps" not in stored[-1].text  # the invention was not even kept in the reply
    sessions = HierarchyStore(service.store).sessions(0)
    said = " ".join(t for s in sessions for t in s.texts)
    assert "concert" in said and "Marco" not in said and "Alps" not in said

"""The foundation's promise, end to end with the real models, Chroma and SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.services.events import RecallEvent, ReplyEvent, TokenEvent
from memory.records import Kind
from tests.realmodels import ready_runtime

pytestmark = pytest.mark.model


def test_fact_told_in_one_conversation_is_recalled_in_another_after_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ready_runtime(data) as runtime:
        first = runtime.chat.new_conversation()
        events = list(runtime.chat.send(first.id, "My cat is called Miso and she is three."))
        assert isinstance(events[-1], ReplyEvent)

    # Every object rebuilt on the same folder, as after quitting and starting again.
    with ready_runtime(data) as runtime:
        second = runtime.chat.new_conversation()
        events = list(runtime.chat.send(second.id, "What is my cat called?"))
        recall = next(e for e in events if isinstance(e, RecallEvent))
        reply = events[-1]
        assert isinstance(reply, ReplyEvent)
        assert any(isinstance(e, TokenEvent) for e in events)

        recalled_texts = [r.memory.text for r in recall.memories]
        assert any("Miso" in t for t in recalled_texts), recalled_texts
        # The bundled model gets the compact prompt: the memory quoted as a note right above
        # the question, in the last user message (docs/benchmarks.md, bench answers).
        last = recall.prompt[-1]
        assert last["role"] == "user" and "Miso" in last["content"]
        assert last["content"].endswith("Question: What is my cat called?")
        assert any("Miso" in m.text for m in reply.message.used_memories)

        # Persisted: the reply's used memories come back from the store, and were strengthened.
        stored = runtime.chat.messages(second.id)
        assert [m.role for m in stored] == ["user", "assistant"]
        used = stored[-1].used_memories
        assert any("Miso" in m.text for m in used)
        miso = next(m for m in used if "Miso" in m.text)
        assert miso.kind is Kind.TURN
        # A significant turn starts at S = 5 days; recalled seconds after it was said, it gains
        # next to nothing (the spacing effect: a gain needs a gap).
        assert runtime.curation.memory(miso.id).strength == pytest.approx(5.0, abs=0.01)
        assert runtime.curation.used_by(miso.id) == [stored[-1].id]


def test_stop_ends_a_reply_early_and_keeps_the_user_turn(tmp_path: Path) -> None:
    with ready_runtime(tmp_path / "data") as runtime:
        conversation = runtime.chat.new_conversation()
        cancel = threading.Event()
        tokens = 0
        reply = None
        for event in runtime.chat.send(
            conversation.id, "Write a very long story about a dragon.", cancel=cancel
        ):
            if isinstance(event, TokenEvent):
                tokens += 1
                if tokens == 3:
                    cancel.set()
            elif isinstance(event, ReplyEvent):
                reply = event
        assert reply is not None and reply.stopped
        assert tokens == 3
        messages = runtime.chat.messages(conversation.id)
        assert messages[0].text == "Write a very long story about a dragon."
        assert runtime.store.count_memories() == 1


def test_index_rebuilt_from_store_when_chroma_folder_is_lost(tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    with ready_runtime(data) as runtime:
        runtime.curation.remember("My sister Ana lives in Lisbon.")
        runtime.curation.remember("I am allergic to peanuts.")
    shutil.rmtree(data / "chroma")
    with ready_runtime(data) as runtime:
        report = runtime.curation.index_report()
        assert report.consistent and report.indexed == 2
        found = runtime.curation.search("Where does Ana live?")
        assert found and "Lisbon" in found[0].memory.text

"""Swapping the chat model AND the embedder while a reply streams and a consolidation runs, with
the real GGUF (loaded twice) and MiniLM (a copy under another name): nothing crashes, nothing
mixes. Every model call is recorded with the model object that served it."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import app.engine.model_manager as model_manager
from app.bootstrap import load_llm, open_bank, open_runtime
from app.engine.model_manager import ModelManager
from app.jobs.daily import JobResult
from app.services.events import ChatEvent, RecallEvent, ReplyEvent, TokenEvent
from memory.records import Kind
from memory.storage.consistency import check
from models.chat.llama_chat import LlamaChat
from models.embedder_backend import backend_model_id
from models.hub.discovery import bundled_chat_model_path, bundled_embedder_path
from models.hub.hardware import HardwareInfo
from models.protocols import CancelToken, ChatMessage, T
from tests.realmodels import shared_embedder

# A lived week, season or crash series with the real model: minutes, not the default 5.
pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(1800)]
NOW = datetime.fromisoformat("2026-11-02T21:00:00+00:00")
TURNS = (
    "I live in Paris and work as a nurse at the city hospital.",
    "My cat is called Miso.",
    "I am allergic to peanuts, so eating out is tricky.",
)


@dataclass
class Call:
    kind: str
    thread: str
    pieces: list[str] = field(default_factory=list)


class RecordingLLM:
    """A real LlamaChat that records each call, the thread it came from, and whether it was
    closed while a call was running (it never may be)."""

    def __init__(self, inner: LlamaChat, entered: threading.Event | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.calls: list[Call] = []
        self.entered = entered or threading.Event()
        self.running = 0
        self.closed_while_running = False

    def _call(self, kind: str) -> Call:
        call = Call(kind, threading.current_thread().name)
        self.calls.append(call)
        self.entered.set()
        return call

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        cancel: CancelToken | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        repeat_penalty: float | None = None,
        grammar: str | None = None,
    ) -> Iterator[str]:
        call = self._call("stream")
        self.running += 1
        try:
            for piece in self.inner.stream_chat(messages, cancel=cancel, max_tokens=max_tokens):
                call.pieces.append(piece)
                yield piece
        finally:
            self.running -= 1

    def complete_json(self, messages: Sequence[ChatMessage], schema: type[T]) -> T:
        self._call("json")
        self.running += 1
        try:
            return self.inner.complete_json(messages, schema)
        finally:
            self.running -= 1

    def count_tokens(self, text: str) -> int:
        self.entered.set()
        return self.inner.count_tokens(text)

    @property
    def context_size(self) -> int:
        return self.inner.context_size

    def close(self) -> None:
        self.closed_while_running = self.running > 0
        self.inner.close()

    def threads(self) -> set[str]:
        return {c.thread for c in self.calls}


class RecordingEmbedder:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id: str = inner.model_id
        self.texts: list[str] = []

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.texts.extend(texts)
        vectors: npt.NDArray[np.float32] = self.inner.embed(texts)
        return vectors


def test_swapping_both_models_mid_reply_and_mid_consolidation_mixes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # The compact prompt: the reply is the model's stream as it came (the extractive default
    # would lead it with a quoted memory, which is not what this test compares).
    (data / "config.toml").write_text(
        '[llm]\nmax_tokens = 160\nprompt_style = "compact"\n[backup]\nenabled = false\n'
    )
    chat_copy = tmp_path / "other-chat.gguf"
    shutil.copyfile(bundled_chat_model_path(), chat_copy)
    embedder_copy = tmp_path / "minilm-copy"
    shutil.copytree(bundled_embedder_path(), embedder_copy)

    runtime = open_runtime(str(data), NOW)
    try:
        old_bank = open_bank(runtime, shared_embedder())
        old_llm = load_llm(runtime.config)
        assert isinstance(old_llm, LlamaChat)
        job_started = threading.Event()
        a = RecordingLLM(old_llm, job_started)
        runtime.host.attach(old_bank, a)
        talk = runtime.chat.new_conversation()
        for text in TURNS:  # stored as send() stores the user's turns
            message = runtime.store.add_message(talk.id, "user", text, NOW)
            old_bank.remember(
                Kind.TURN, text, NOW, conversation_id=talk.id, source_message_ids=[message.id]
            )

        # The new models, recorded too; ModelManager loads them as it always does.
        new_llms: list[RecordingLLM] = []
        new_embedders: list[RecordingEmbedder] = []
        real_load_chat, real_load_embedder = (
            model_manager.load_chat_model,
            model_manager.load_embedder,
        )

        def load_chat(config: Any) -> RecordingLLM:
            llm = real_load_chat(config)
            assert isinstance(llm, LlamaChat)
            new_llms.append(RecordingLLM(llm))
            return new_llms[-1]

        def load_embedder(config: Any) -> RecordingEmbedder:
            new_embedders.append(RecordingEmbedder(real_load_embedder(config)))
            return new_embedders[-1]

        monkeypatch.setattr(model_manager, "load_chat_model", load_chat)
        monkeypatch.setattr(model_manager, "load_embedder", load_embedder)

        # 1. A reply starts streaming (with the old model) and is held after its first token.
        first_token, go_on = threading.Event(), threading.Event()
        events: list[ChatEvent] = []
        reply_chat = runtime.chat.new_conversation()

        def reply() -> None:
            for event in runtime.chat.send(reply_chat.id, "Where do I live?"):
                events.append(event)
                if isinstance(event, TokenEvent) and not first_token.is_set():
                    first_token.set()
                    assert go_on.wait(600)

        # 2. The daily consolidation starts (its first model call waits for the reply's turn).
        results: list[JobResult] = []
        replier = threading.Thread(target=reply, name="reply")
        replier.start()
        assert first_token.wait(600)
        job_started.clear()  # the reply's own call set it
        consolidation = threading.Thread(
            target=lambda: results.append(runtime.jobs().run("daily")), name="consolidation"
        )
        consolidation.start()
        assert job_started.wait(600)
        before = runtime.store.all_memory_ids()

        # 3. Both swaps, while the reply and the consolidation are in flight.
        hw = HardwareInfo(16 * 10**9, 6 * 10**9, gpu_offload=False, vram_bytes=None)
        manager = ModelManager(runtime, hardware=hw)
        manager.use_chat_model(chat_copy)
        manager.use_embedder(embedder_copy)
        [b] = new_llms
        [new_embedder] = new_embedders
        assert runtime.host.models.llm is b and runtime.host.models.bank is not old_bank
        assert not old_llm.closed  # two readers still hold it
        assert replier.is_alive() and consolidation.is_alive()

        go_on.set()
        replier.join(600)
        consolidation.join(900)
        assert not replier.is_alive() and not consolidation.is_alive()

        # The reply finished with the model it started with, token for token.
        assert isinstance(events[0], RecallEvent) and isinstance(events[-1], ReplyEvent)
        [streamed] = [c for c in a.calls if c.thread == "reply"]
        assert streamed.thread == "reply"
        assert events[-1].message.text == "".join(streamed.pieces).strip()
        assert [e.text for e in events if isinstance(e, TokenEvent)] == streamed.pieces
        # The consolidation ran on the old model from start to end, and worked.
        [result] = results
        assert result.error is None, result
        assert "consolidation" in a.threads() and "consolidation" not in b.threads()
        assert not b.calls
        # The old model was freed only when both were done with it, and not under a call.
        assert old_llm.closed and not a.closed_while_running and not b.inner.closed

        # What was written after the swap is in the new embedder's index, embedded by it.
        bank = runtime.host.models.bank
        assert bank is not None and bank.embedder is new_embedder
        assert bank.embedder.model_id == backend_model_id(
            "minilm-copy", runtime.config.embedder.backend
        )
        after = runtime.store.all_memory_ids() - before
        assert after, "the consolidation wrote nothing after the swap"
        assert after <= bank.index.ids()
        made_after = runtime.store.memories_by_ids(sorted(after))
        assert {m.text for m in made_after.values()} <= set(new_embedder.texts)
        names = {c.name for c in bank.index._client.list_collections()}
        assert old_bank.index._collection.name not in names
        assert check(runtime.store, bank.index).clean

        # From now on the new chat model answers.
        answer = runtime.chat.ask("What is my cat called?")
        assert answer.message.text.strip()
        assert b.threads() == {"MainThread"} and "MainThread" not in a.threads()
    finally:
        runtime.close()

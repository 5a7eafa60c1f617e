"""LlamaChat.close() never frees the engine under a running generation: it waits, or defers the
free to the end of that generation. A stand-in engine records when it is freed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.chat.llama_chat import LlamaChat, LlamaSettings
from models.errors import ModelLoadError


class FakeLlama:
    """Streams chunks; each chunk waits for `step` so a test holds a generation mid-flight."""

    def __init__(self) -> None:
        self.step = threading.Event()
        self.generating = threading.Event()
        self.freed = False
        self.freed_while_generating = False

    def n_ctx(self) -> int:
        return 2048

    def tokenize(self, data: bytes, add_bos: bool, special: bool) -> list[int]:
        assert not self.freed, "tokenize on a freed model"
        return list(range(len(data.split())))

    def create_chat_completion(self, **_: Any) -> Iterator[dict[str, Any]]:
        assert not self.freed, "generation on a freed model"
        self.generating.set()
        try:
            for piece in ("one", " two", " three"):
                self.step.wait()
                assert not self.freed, "a token from a freed model"
                yield {"choices": [{"delta": {"content": piece}}]}
        finally:
            self.generating.clear()

    def close(self) -> None:
        self.freed_while_generating = self.generating.is_set()
        self.freed = True


def _chat() -> tuple[LlamaChat, FakeLlama]:
    engine = FakeLlama()
    return LlamaChat(LlamaSettings(model_path=Path("fake.gguf")), llama=engine), engine


def _generate_in_thread(chat: LlamaChat, out: list[str]) -> threading.Thread:
    def run() -> None:
        out.extend(chat.stream_chat([{"role": "user", "content": "count"}]))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_close_during_a_generation_defers_the_free_to_its_end() -> None:
    chat, engine = _chat()
    pieces: list[str] = []
    thread = _generate_in_thread(chat, pieces)
    assert engine.generating.wait(10)
    chat.close(wait=0.05)  # gives up waiting: must not free
    assert not engine.freed and not chat.closed
    engine.step.set()
    thread.join()
    assert pieces == ["one", " two", " three"]  # the reply finished on the model it started on
    assert engine.freed and chat.closed and not engine.freed_while_generating
    with pytest.raises(ModelLoadError, match="closed"):
        chat.count_tokens("hello")


def test_close_waits_for_a_generation_then_frees() -> None:
    chat, engine = _chat()
    pieces: list[str] = []
    thread = _generate_in_thread(chat, pieces)
    assert engine.generating.wait(10)
    closer = threading.Thread(target=chat.close)  # the default wait: long enough here
    closer.start()
    engine.step.set()
    closer.join()
    thread.join()
    assert engine.freed and not engine.freed_while_generating
    assert pieces == ["one", " two", " three"]


def test_an_abandoned_stream_frees_the_model_when_it_is_closed() -> None:
    chat, engine = _chat()
    engine.step.set()
    stream = chat.stream_chat([{"role": "user", "content": "count"}])
    assert next(stream) == "one"  # holds the model, like a reply nobody finished reading
    chat.close(wait=0.05)
    assert not engine.freed
    stream.close()
    assert engine.freed and chat.closed


def test_no_new_call_starts_after_close() -> None:
    chat, engine = _chat()
    chat.close()
    assert engine.freed and chat.context_size == 2048  # known without the engine
    with pytest.raises(ModelLoadError, match="closed"):
        list(chat.stream_chat([{"role": "user", "content": "hi"}]))
    chat.close()  # twice is fine

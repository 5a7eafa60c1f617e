"""Chat over a REAL OpenAI-compatible server: llama-cpp-python's server on the bundled GGUF,
on loopback. The same service path as in-process: recalled memories in the prompt, listed as
used, streaming, Stop; and the clear errors when the server is down, refuses the key or the
URL is wrong."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from app.bootstrap import load_llm, load_remote_llm, open_bank, open_runtime
from app.config import Config, ConfigError, LLMConfig
from app.services.events import RecallEvent, ReplyEvent, TokenEvent
from models.chat.openai_chat import OpenAIChat, estimate_tokens
from models.chat.remote_errors import (
    ChatServerAuthError,
    ChatServerNotFound,
    ChatServerUnreachable,
)
from tests.realmodels import shared_embedder, shared_llm
from tests.servers import LLAMA_CTX, free_port, llama_server

pytestmark = [pytest.mark.model, pytest.mark.slow]

KEY = "test-key-123"
NOW = datetime.fromisoformat("2026-11-02T09:00:00+00:00")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with llama_server(tmp_path_factory.mktemp("llama-server"), api_key=KEY) as url:
        yield url


def remote_config(url: str, **llm: object) -> Config:
    fields: dict[str, object] = {
        "engine": "openai",
        "base_url": url,
        "api_model": "smollm2",
        "api_key": KEY,
        "n_ctx": LLAMA_CTX,
        "max_tokens": 24,
    }
    fields.update(llm)
    return Config(llm=LLMConfig.model_validate(fields))


@pytest.fixture
def remote(server_url: str) -> Iterator[OpenAIChat]:
    llm = load_llm(remote_config(server_url))
    assert isinstance(llm, OpenAIChat)
    yield llm
    llm.close()


def test_the_reply_streams_through_the_service_with_recalled_memories(
    remote: OpenAIChat, server_url: str, tmp_path: Path
) -> None:
    runtime = open_runtime(str(tmp_path / "data"), NOW)
    try:
        # Configured for the server, as config.toml would say: the full prompt style.
        runtime.host.swap(config=remote_config(server_url))
        runtime.host.attach(open_bank(runtime, shared_embedder()), remote, borrowed=True)
        ana = runtime.curation.remember("My sister Ana lives in Porto and teaches piano.")
        runtime.curation.remember("The car is due for its inspection in March.")
        chat = runtime.chat.new_conversation()
        events = list(runtime.chat.send(chat.id, "Where does my sister Ana live?"))
        recall = next(e for e in events if isinstance(e, RecallEvent))
        assert ana.id in {r.memory.id for r in recall.memories}
        assert any("Porto" in m["content"] for m in recall.prompt if m["role"] == "system")
        tokens = [e.text for e in events if isinstance(e, TokenEvent)]
        assert len(tokens) >= 2, tokens  # streamed in pieces, not one block
        reply = events[-1]
        assert isinstance(reply, ReplyEvent) and not reply.stopped
        assert reply.message.text == "".join(tokens).strip()
        stored = runtime.chat.messages(chat.id)[-1]
        assert stored.role == "assistant" and ana.id in {m.id for m in stored.used_memories}
    finally:
        runtime.close()


def test_stop_ends_the_stream_early(remote: OpenAIChat) -> None:
    cancel = threading.Event()
    pieces: list[str] = []
    messages = [{"role": "user", "content": "Count from one to one hundred in words."}]
    for piece in remote.stream_chat(messages, cancel=cancel, max_tokens=200):  # type: ignore[arg-type]
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()
    assert len(pieces) == 3
    # The server is still usable after a dropped stream.
    assert list(remote.stream_chat(messages, max_tokens=4))  # type: ignore[arg-type]


class Person(BaseModel):
    name: str
    city: str


def test_json_answers_are_validated(remote: OpenAIChat) -> None:
    person = remote.complete_json(
        [{"role": "user", "content": "Ana lives in Porto. Give her name and city as JSON."}],
        Person,
    )
    assert isinstance(person, Person) and person.name


def test_tokens_are_counted_by_the_servers_tokenizer(remote: OpenAIChat) -> None:
    text = "Ana teaches piano in Porto on Tuesdays."
    counted = remote.count_tokens(text)
    # The same tokenizer as the in-process model (the estimate would say 10 here).
    assert counted == shared_llm().count_tokens(text) != estimate_tokens(text)
    assert remote.count_tokens(text + " " + text) > counted
    assert remote.context_size == LLAMA_CTX  # this server does not report it: the setting


def test_a_server_that_is_down_gives_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ChatServerUnreachable) as caught:
        load_llm(remote_config(url))
    assert url in str(caught.value) and "Start the server" in str(caught.value)
    assert caught.value.title


def test_a_wrong_key_is_refused_clearly(server_url: str) -> None:
    with pytest.raises(ChatServerAuthError) as caught:
        load_llm(remote_config(server_url, api_key="wrong"))
    assert "401" in str(caught.value) and "MEMBANK_LLM_API_KEY" in str(caught.value)


def test_the_key_can_come_from_the_environment(server_url: str) -> None:
    llm = load_remote_llm(remote_config(server_url, api_key=""), {"MEMBANK_LLM_API_KEY": KEY})
    assert "smollm2" in llm.check()
    llm.close()


def test_a_wrong_url_path_is_a_clear_not_found(server_url: str) -> None:
    wrong = server_url.removesuffix("/v1") + "/nope/v1"
    with pytest.raises(ChatServerNotFound) as caught:
        load_llm(remote_config(wrong))
    assert "404" in str(caught.value) and "base_url" in str(caught.value)


def test_the_openai_engine_needs_a_url() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        load_llm(Config(llm=LLMConfig(engine="openai")))

"""The OpenAI-compatible adapter's protocol handling, against scripted HTTP answers (the real
server is exercised in tests/integration/test_remote_chat.py)."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import BaseModel

from models.chat.openai_chat import OpenAIChat, RemoteSettings, estimate_tokens, split_base_url
from models.chat.remote_errors import ChatServerFailed, ChatServerTimeout
from models.errors import ModelOutputError

URL = "http://127.0.0.1:9/v1"


def chat(handler: httpx.MockTransport, **settings: object) -> OpenAIChat:
    return OpenAIChat(RemoteSettings(URL, model="m", **settings), transport=handler)  # type: ignore[arg-type]


def sse(*events: str) -> bytes:
    return "".join(f"data: {e}\n\n" for e in events).encode()


def delta(text: str) -> str:
    return json.dumps({"choices": [{"delta": {"content": text}}]})


def test_base_urls_with_or_without_v1() -> None:
    assert split_base_url("http://h:8080/v1/") == ("http://h:8080", "http://h:8080/v1")
    assert split_base_url("http://h:11434") == ("http://h:11434", "http://h:11434/v1")


def test_stream_skips_comments_and_role_chunks_and_stops_at_done() -> None:
    body = b": ping\n\n" + sse(
        json.dumps({"choices": [{"delta": {"role": "assistant"}}]}),
        delta("Hel"),
        delta("lo"),
        "[DONE]",
        delta("never"),
    )
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, content=body)

    llm = chat(httpx.MockTransport(handler), api_key="k")
    assert list(llm.stream_chat([{"role": "user", "content": "hi"}], max_tokens=7)) == [
        "Hel",
        "lo",
    ]
    assert seen[0]["stream"] is True and seen[0]["max_tokens"] == 7 and seen[0]["model"] == "m"


def test_an_error_inside_the_stream_is_raised_not_swallowed() -> None:
    body = sse(delta("a"), json.dumps({"error": {"message": "out of memory"}}))
    llm = chat(httpx.MockTransport(lambda _r: httpx.Response(200, content=body)))
    with pytest.raises(ChatServerFailed, match="out of memory"):
        list(llm.stream_chat([{"role": "user", "content": "hi"}]))


def test_a_timeout_names_the_url_and_the_setting() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ChatServerTimeout, match="timeout_s") as caught:
        list(chat(httpx.MockTransport(handler), timeout_s=3).stream_chat([]))
    assert URL in str(caught.value) and "3 s" in str(caught.value)


class Answer(BaseModel):
    city: str


def test_json_falls_back_to_json_object_and_remembers_it() -> None:
    formats: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        kind = json.loads(request.content)["response_format"]["type"]
        formats.append(kind)
        if kind == "json_schema":
            return httpx.Response(500, json={"error": {"message": "Input should be 'text'"}})
        content = json.dumps({"city": "Porto"})
        return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})

    llm = chat(httpx.MockTransport(handler))
    assert llm.complete_json([], Answer).city == "Porto"
    assert llm.complete_json([], Answer).city == "Porto"
    assert formats == ["json_schema", "json_object", "json_object"]


def test_invalid_json_is_a_model_output_error() -> None:
    answer = {"choices": [{"message": {"content": '{"town": 1}'}}]}
    llm = chat(httpx.MockTransport(lambda _r: httpx.Response(200, json=answer)))
    with pytest.raises(ModelOutputError) as caught:
        llm.complete_json([], Answer)
    assert caught.value.raw == '{"town": 1}'


def test_without_a_tokenizer_or_props_tokens_are_estimated_and_ctx_is_the_setting() -> None:
    llm = chat(httpx.MockTransport(lambda _r: httpx.Response(404)), n_ctx=3072)
    assert llm.count_tokens("x" * 41) == estimate_tokens("x" * 41) == 11
    assert llm.context_size == 3072


def test_llama_server_tokenize_and_props_are_used() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/tokenize":
            words = json.loads(request.content)["content"].split()
            return httpx.Response(200, json={"tokens": list(range(len(words)))})
        if request.url.path == "/props":
            return httpx.Response(200, json={"default_generation_settings": {"n_ctx": 8192}})
        return httpx.Response(404)

    llm = chat(httpx.MockTransport(handler))
    assert llm.count_tokens("one two three") == 3
    assert llm.context_size == 8192

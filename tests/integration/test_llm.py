"""The llama-cpp-python adapter with the bundled GGUF: streaming, constrained JSON, token counts."""

from __future__ import annotations

import threading

import pytest
from pydantic import BaseModel

from models.chat.llama_chat import LlamaChat, LlamaSettings, gpu_offload_supported
from models.errors import ModelOutputError
from models.hub.discovery import bundled_chat_model_path
from tests.realmodels import shared_llm

pytestmark = pytest.mark.model


class City(BaseModel):
    city: str


QUESTION = [
    {"role": "system", "content": 'Answer in JSON like {"city": "..."}.'},
    {"role": "user", "content": "I live in Paris. Which city do I live in?"},
]


def test_constrained_json_is_parsed_and_validated() -> None:
    answer = shared_llm().complete_json(QUESTION, City)
    assert isinstance(answer, City) and answer.city.strip()


def test_truncated_json_is_an_error_the_caller_can_handle() -> None:
    tiny = LlamaChat(LlamaSettings(bundled_chat_model_path(), n_ctx=512, max_tokens=3))
    try:
        with pytest.raises(ModelOutputError) as info:
            tiny.complete_json(QUESTION, City)
        assert "City" in str(info.value) and info.value.raw
    finally:
        tiny.close()


def test_streaming_uses_the_gguf_chat_template_and_stops_on_cancel() -> None:
    llm = shared_llm()
    cancel = threading.Event()
    pieces = []
    for piece in llm.stream_chat([{"role": "user", "content": "Count to fifty."}], cancel=cancel):
        pieces.append(piece)
        if len(pieces) == 5:
            cancel.set()
    assert len(pieces) == 5
    assert llm.count_tokens("Hello there") >= 2
    assert llm.context_size == 4096
    assert isinstance(gpu_offload_supported(), bool)

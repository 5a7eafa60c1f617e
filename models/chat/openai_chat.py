"""Chat through an OpenAI-compatible HTTP server (llama.cpp `llama-server`,
`python -m llama_cpp.server`, Ollama, vLLM, LM Studio), with httpx.

The opt-in exception to "nothing leaves the machine": the assembled prompt (system prompt,
recalled memories, recent turns, the new message) is sent to `base_url`.

- stream_chat: `stream: true` server-sent events; cancel closes the connection between pieces.
- complete_json: `response_format` json_schema (OpenAI, llama-server, vLLM, Ollama, LM Studio),
  falling back to json_object + schema (llama-cpp-python's server); always validated by pydantic.
- count_tokens: the server's tokenizer when it offers one (llama-server `/tokenize`,
  llama-cpp-python `/extras/tokenize`, vLLM `/tokenize`), else an estimate of one token per
  4 characters (rounded up; close for English with BPE tokenizers, so prompt budgets hold).
- context_size: the server's own figure (llama-server `/props`, vLLM `max_model_len`,
  llama-server `/v1/models` meta) else `[llm] n_ctx` from the settings.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from models.chat.remote_errors import (
    ChatServerAuthError,
    ChatServerFailed,
    ChatServerNotFound,
    ChatServerTimeout,
    ChatServerUnreachable,
    RemoteChatError,
)
from models.errors import ModelOutputError
from models.protocols import CancelToken, ChatMessage

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class RemoteSettings:
    base_url: str  # e.g. http://127.0.0.1:8080/v1 (a URL without /v1 gets it added)
    model: str = ""  # the model name sent; empty: the first one the server lists
    api_key: str = ""
    n_ctx: int = 4096  # used when the server does not report its context size
    max_tokens: int = 512
    temperature: float = 0.2
    timeout_s: float = 120.0  # per read; connecting gets at most 10 s


def split_base_url(base_url: str) -> tuple[str, str]:
    """(server root, OpenAI API root): "http://h:8080/v1" -> ("http://h:8080", ".../v1")."""
    url = base_url.strip().rstrip("/")
    if url.endswith("/v1"):
        return url[: -len("/v1")], url
    return url, url + "/v1"


def _detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body))
        if isinstance(error, dict):
            error = error.get("message", error)
        return str(error).splitlines()[0][:200] if str(error) else response.reason_phrase
    return str(body)[:200]


class OpenAIChat:
    """An LLM (models.protocols) served over HTTP. Thread-safe (httpx.Client is)."""

    def __init__(
        self, settings: RemoteSettings, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.root, self.api = split_base_url(settings.base_url)
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_s, connect=min(10.0, settings.timeout_s)),
            transport=transport,
        )
        self._model = settings.model
        self._context: int | None = None
        self._tokenizer: Callable[[str], int | None] | None = None
        self._json_modes = ["json_schema", "json_object"]
        self.model_id = settings.model or "remote"

    # -- connection ---------------------------------------------------------------------

    def check(self) -> list[str]:
        """Ask the server for its models (fails with a clear RemoteChatError if unusable)."""
        response = self._request("GET", f"{self.api}/models")
        data = response.json().get("data", [])
        names = [str(m.get("id")) for m in data if isinstance(m, dict)]
        if not self._model and names:
            self._model = names[0]
            self.model_id = names[0]
        for m in data:
            if isinstance(m, dict) and m.get("id") == self._model:
                ctx = m.get("max_model_len") or (m.get("meta") or {}).get("n_ctx_train")
                if isinstance(ctx, int) and ctx > 0 and self._context is None:
                    self._context = min(ctx, self._props_context() or ctx)
        return names

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise ChatServerTimeout(url, self.settings.timeout_s) from exc
        except httpx.TransportError as exc:
            raise ChatServerUnreachable(url, str(exc) or type(exc).__name__) from exc
        self._raise_for_status(url, response)
        return response

    def _raise_for_status(self, url: str, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        if not response.is_closed:
            response.read()
        detail = _detail(response)
        if status in (401, 403):
            raise ChatServerAuthError(url, status, detail)
        if status == 404:
            raise ChatServerNotFound(url, self._model, detail)
        raise ChatServerFailed(url, status, detail)

    def _body(self, messages: Sequence[ChatMessage], **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "temperature": self.settings.temperature,
        }
        body["model"] = self._model or "default"
        body.update(extra)
        return body

    # -- the LLM protocol ----------------------------------------------------------------

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
        """Yield the reply piece by piece; once `cancel` is set the connection is closed
        (servers stop generating for a dropped client)."""
        url = f"{self.api}/chat/completions"
        body = self._body(messages, stream=True, max_tokens=max_tokens or self.settings.max_tokens)
        if temperature is not None:
            body["temperature"] = temperature
        if repeat_penalty is not None:  # llama.cpp's and vLLM's servers read it; others ignore it
            body["repeat_penalty"] = repeat_penalty
        if grammar is not None:  # llama.cpp's server reads a GBNF grammar; others ignore it
            body["grammar"] = grammar
        try:
            with self._client.stream("POST", url, json=body) as response:
                self._raise_for_status(url, response)
                for line in response.iter_lines():
                    if cancel is not None and cancel.is_set():
                        break
                    piece = self._piece(url, line)
                    if piece is None:
                        break
                    if piece:
                        yield piece
        except httpx.TimeoutException as exc:
            raise ChatServerTimeout(url, self.settings.timeout_s) from exc
        except httpx.TransportError as exc:
            raise ChatServerUnreachable(url, str(exc) or type(exc).__name__) from exc

    def _piece(self, url: str, line: str) -> str | None:
        """The text of one SSE line: "" for none, None at the end of the stream."""
        if not line.startswith("data:"):
            return ""  # blank separators, comments (": ping"), "event:" lines
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            return None
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            log.debug("ignoring a non-JSON event from %s: %r", url, data[:80])
            return ""
        if "error" in chunk:
            error = chunk["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            raise ChatServerFailed(url, 200, f"error in the stream: {message}")
        choices = chunk.get("choices") or [{}]
        delta = choices[0].get("delta") or {}
        return str(delta.get("content") or "")

    def complete_json(self, messages: Sequence[ChatMessage], schema: type[T]) -> T:
        """A JSON answer validated against `schema`; ModelOutputError when it is not valid."""
        url = f"{self.api}/chat/completions"
        json_schema = schema.model_json_schema()
        formats = {
            "json_schema": {
                "type": "json_schema",
                "json_schema": {"name": schema.__name__, "schema": json_schema},
            },
            "json_object": {"type": "json_object", "schema": json_schema},
        }
        last: RemoteChatError | None = None
        for mode in list(self._json_modes):
            body = self._body(
                messages,
                response_format=formats[mode],
                max_tokens=self.settings.max_tokens,
                temperature=0.0,
            )
            try:
                response = self._request("POST", url, json=body)
            except ChatServerFailed as exc:
                # This server does not know this response_format: try the next one.
                if len(self._json_modes) > 1:
                    log.info("%s refused response_format %s; trying the next", url, mode)
                    self._json_modes.remove(mode)
                    last = exc
                    continue
                raise
            self._json_modes = [mode]
            raw = response.json()["choices"][0]["message"].get("content") or ""
            try:
                return schema.model_validate(json.loads(raw))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise ModelOutputError(
                    f"The model's answer is not valid {schema.__name__} JSON: {exc}", raw
                ) from exc
        assert last is not None
        raise last

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is None:
            self._tokenizer = self._find_tokenizer(text)
        counted = self._tokenizer(text)
        return counted if counted is not None else estimate_tokens(text)

    def _find_tokenizer(self, sample: str) -> Callable[[str], int | None]:
        """The first tokenize endpoint this server answers, else the estimate."""
        candidates: list[tuple[str, Callable[[str], dict[str, Any]]]] = [
            (f"{self.root}/tokenize", lambda t: {"content": t, "add_special": False}),
            (f"{self.root}/extras/tokenize", lambda t: {"input": t, "model": self._model}),
            (f"{self.root}/tokenize", lambda t: {"prompt": t, "model": self._model}),
        ]
        for url, make in candidates:
            try:
                response = self._client.post(url, json=make(sample))
                tokens = response.json().get("tokens") if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError, AttributeError):
                tokens = None
            if isinstance(tokens, list):
                log.info("counting tokens with %s", url)
                return self._remote_counter(url, make)
        log.info("%s offers no tokenizer; estimating 1 token per %d chars", self.root, 4)
        return lambda _text: None

    def _remote_counter(
        self, url: str, make: Callable[[str], dict[str, Any]]
    ) -> Callable[[str], int | None]:
        def count(text: str) -> int | None:
            try:
                response = self._client.post(url, json=make(text))
                return len(response.json()["tokens"]) if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                return None  # the estimate will do for this one

        return count

    @property
    def context_size(self) -> int:
        if self._context is None:
            self._context = self._props_context() or self.settings.n_ctx
        return self._context

    def _props_context(self) -> int | None:
        try:
            response = self._client.get(f"{self.root}/props")
            props = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            return None
        if not isinstance(props, dict):
            return None
        n_ctx = (props.get("default_generation_settings") or {}).get("n_ctx", props.get("n_ctx"))
        return n_ctx if isinstance(n_ctx, int) and n_ctx > 0 else None

    def close(self) -> None:
        self._client.close()


def estimate_tokens(text: str) -> int:
    """~4 characters per token (English, BPE vocabularies), rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)

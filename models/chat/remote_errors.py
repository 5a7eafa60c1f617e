"""Errors of the remote chat engine (an OpenAI-compatible server).

Every message names the URL and says what to do; the user opted in to a server, so the fix is
either "start/fix the server" or "go back to the local engine".
"""

from __future__ import annotations

from models.errors import MembankError

LOCAL_HINT = 'or set [llm] engine = "local" in the settings to chat with the bundled model'


class RemoteChatError(MembankError):
    """The OpenAI-compatible chat server could not be used."""

    title = "Chat server problem"

    def __init__(self, url: str, what: str, advice: str) -> None:
        self.url = url
        super().__init__(f"{what} ({url}). {advice}")


class ChatServerUnreachable(RemoteChatError):
    title = "Chat server unreachable"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            url,
            f"No chat server answers at this address: {reason}",
            "Start the server (e.g. `llama-server -m model.gguf --port 8080`, `ollama serve`), "
            f"check [llm] base_url, {LOCAL_HINT}.",
        )


class ChatServerTimeout(RemoteChatError):
    title = "Chat server too slow"

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(
            url,
            f"The chat server did not answer within {seconds:g} s",
            "It may be overloaded or still loading its model: wait and retry, "
            f"raise [llm] timeout_s, {LOCAL_HINT}.",
        )


class ChatServerAuthError(RemoteChatError):
    title = "Chat server refused the key"

    def __init__(self, url: str, status: int, detail: str) -> None:
        super().__init__(
            url,
            f"The chat server refused the request with HTTP {status} ({detail})",
            "Set the right key in [llm] api_key or the MEMBANK_LLM_API_KEY environment variable.",
        )


class ChatServerNotFound(RemoteChatError):
    title = "Chat server: not found"

    def __init__(self, url: str, model: str, detail: str) -> None:
        super().__init__(
            url,
            f"The chat server answered HTTP 404 ({detail})",
            f"Check [llm] base_url (it usually ends in /v1) and [llm] api_model ({model!r} is "
            "what was asked for; the server's /v1/models lists the names it serves).",
        )


class ChatServerFailed(RemoteChatError):
    title = "Chat server error"

    def __init__(self, url: str, status: int, detail: str) -> None:
        super().__init__(
            url,
            f"The chat server failed with HTTP {status} ({detail})",
            f"Look at the server's log, retry, {LOCAL_HINT}.",
        )

"""The long-lived worker on the thread that owns the models: loads them, streams replies, and
makes every swap (settings, another chat model, the embedder's final step)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot

from app.bootstrap import Progress
from app.config import Config
from app.engine.model_manager import ModelManager, PreparedEmbedder
from app.engine.settings_apply import Applied, SettingsEdit
from app.services.chat import ChatService
from app.services.events import ChatEvent, RecallEvent, ReplyEvent, TokenEvent
from memory.records import PERSONAL, Message
from models.errors import MembankError

log = logging.getLogger(__name__)


class Cancel(Protocol):
    def is_set(self) -> bool: ...


class RequestToken:
    """One request's cancel token as the chat service sees it: set when the user stopped that
    request, or when the app is quitting."""

    def __init__(self, stop: Cancel, closing: threading.Event) -> None:
        self._stop = stop
        self._closing = closing

    def is_set(self) -> bool:
        return self._stop.is_set() or self._closing.is_set()


class LoadCancelled(Exception):
    """Quitting while the models load: the load stops at its next step."""


class ChatWorker(QObject):
    """Lives on its own QThread; every slot runs there. Signals reach GUI-thread slots queued."""

    status_changed = Signal(str)
    models_ready = Signal()
    models_failed = Signal(str, str)  # title, message
    conversation_created = Signal(object)  # Conversation
    memories_recalled = Signal(object)  # RecallEvent
    token_received = Signal(str)
    reply_finished = Signal(object)  # ReplyEvent
    reply_failed = Signal(str, str)
    settings_applied = Signal(object)  # app.engine.settings_apply.Applied
    settings_failed = Signal(str, str)  # title, message
    model_switched = Signal(str)  # the new GGUF's path
    model_switch_failed = Signal(str, str)  # title, message (the old model is still in use)
    embedder_switched = Signal(str)  # the new embedder's folder
    embedder_switch_failed = Signal(str, str)  # title, message (the old one is still in use)

    def __init__(
        self,
        chat: ChatService,
        manager: ModelManager,
        start_up: Callable[[Progress], None],
        apply: Callable[[Config | SettingsEdit], Applied],
    ) -> None:
        """`start_up` loads the models (app.bootstrap.start_models), `apply` saves and applies
        settings (app.engine.settings_apply.apply_settings): both run on this thread."""
        super().__init__()
        self.chat = chat
        self.manager = manager
        self._start_up = start_up
        self._apply = apply
        self._closing = threading.Event()  # quitting: every request, queued or running, stops

    def cancel_all(self) -> None:
        """Called from the GUI thread at quit: the reply streaming now stops before its next
        token, and requests still queued are skipped. A user's Stop cancels one request only
        (the token the panel made for it)."""
        self._closing.set()

    @Slot()
    def load_models(self) -> None:
        load = lambda: self._start_up(self._load_progress)  # noqa: E731
        if self._guarded(load, self.models_failed, "Model loading failed"):
            self.models_ready.emit()

    def _load_progress(self, text: str) -> None:
        """Between the loading steps: quitting stops the load here (a step itself, such as
        llama.cpp reading a GGUF, cannot be interrupted)."""
        if self._closing.is_set():
            raise LoadCancelled()
        self.status_changed.emit(text)

    @Slot(str)
    def switch_chat_model(self, path: str) -> None:
        """Load another GGUF here, on the thread that owns the model; swap only if it loads."""
        work = lambda: self.manager.use_chat_model(Path(path))  # noqa: E731
        if self._guarded(work, self.model_switch_failed, "Model not changed"):
            self.model_switched.emit(path)

    @Slot(object)
    def commit_embedder(self, prepared: PreparedEmbedder) -> None:
        """The embedder switch's last step (save, swap), here where the models live; the
        re-embedding itself ran on the Models window's runner."""
        work = lambda: self.manager.commit_embedder(prepared)  # noqa: E731
        if self._guarded(work, self.embedder_switch_failed, "Embedder not changed"):
            self.embedder_switched.emit(str(prepared.folder))

    @Slot(int, str, str, object)
    def send(
        self, conversation_id: int, text: str, space: str = PERSONAL, cancel: Cancel | None = None
    ) -> None:
        """`space`: of the conversation this message starts, if it starts one. `cancel`: this
        request's own token, made on the GUI thread when the user sent it (Stop sets it)."""
        chat = self.chat
        token = self._token(cancel)

        def events() -> Iterator[ChatEvent]:
            cid = conversation_id
            if cid <= 0:
                conversation = chat.new_conversation(space=space)
                cid = conversation.id
                self.conversation_created.emit(conversation)
            yield from chat.send(cid, text, cancel=token)

        self._relay(events)

    @Slot(object)
    def apply_settings(self, config: Config | SettingsEdit) -> None:
        """Save and apply settings here, where the chat model lives (a reload waits for no
        reply: this thread is not streaming while it runs this)."""
        applied: list[Applied] = []
        work = lambda: applied.append(self._apply(config))  # noqa: E731
        if self._guarded(work, self.settings_failed, "Settings not applied"):
            self.settings_applied.emit(applied[0])

    def _guarded(self, work: Callable[[], object], failed: SignalInstance, title: str) -> bool:
        """Run `work`; a failure is logged and emitted on `failed` (title, message), never
        raised: an exception must not end the worker thread."""
        try:
            work()
        except LoadCancelled:
            log.info("model loading stopped: membank is quitting")
            return False
        except MembankError as exc:
            log.error("%s: %s", title, exc)
            failed.emit(exc.title, str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - report, never kill the worker thread
            log.exception("%s (crash)", title)
            failed.emit(title, f"{type(exc).__name__}: {exc}")
            return False
        return True

    @Slot(int, object)
    def regenerate(self, conversation_id: int, cancel: Cancel | None = None) -> None:
        """Answer the conversation's last message again (the last reply is replaced)."""
        chat = self.chat
        token = self._token(cancel)
        self._relay(lambda: chat.regenerate(conversation_id, cancel=token))

    @Slot(object, str, str, object)
    def send_paused(
        self,
        history: list[Message],
        text: str,
        space: str = PERSONAL,
        cancel: Cancel | None = None,
    ) -> None:
        """Memory paused: the reply uses memories, but nothing of this chat is stored."""
        chat = self.chat
        token = self._token(cancel)
        self._relay(lambda: chat.send_paused(history, text, cancel=token, space=space))

    def _token(self, cancel: Cancel | None) -> RequestToken:
        return RequestToken(cancel if cancel is not None else threading.Event(), self._closing)

    def _relay(self, events: Callable[[], Iterator[ChatEvent]]) -> None:
        """Stream one request's events as signals. The token is never cleared here: a Stop
        pressed before this request began (the worker busy loading a model) still stops it."""
        try:
            for event in events():
                if isinstance(event, TokenEvent):
                    self.token_received.emit(event.text)
                elif isinstance(event, RecallEvent):
                    self.memories_recalled.emit(event)
                elif isinstance(event, ReplyEvent):
                    self.reply_finished.emit(event)
        except MembankError as exc:
            self.reply_failed.emit(exc.title, str(exc))
        except Exception as exc:  # noqa: BLE001
            log.exception("reply failed")
            self.reply_failed.emit("The reply failed", f"{type(exc).__name__}: {exc}")

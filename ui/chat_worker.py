"""The long-lived worker that owns the chat model: loads models, streams replies."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from app.bootstrap import Runtime, load_models
from app.model_manager import ModelManager
from app.service import ChatEvent, RecallEvent, ReplyEvent, TokenEvent
from memory.records import Message
from models.errors import MembankError

log = logging.getLogger(__name__)


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
    model_switched = Signal(str)  # the new GGUF's path
    model_switch_failed = Signal(str, str)  # title, message (the old model is still in use)

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Called from the GUI thread: the stream loop stops before the next token."""
        self._cancel.set()

    @Slot()
    def load_models(self) -> None:
        if self.runtime.service.ready:
            self.models_ready.emit()
            return
        try:
            load_models(self.runtime, self.status_changed.emit)
            if self.runtime.config.scheduler.enabled:
                self.runtime.start_scheduler()
        except MembankError as exc:
            log.error("model loading failed: %s", exc)
            self.models_failed.emit(exc.title, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - report, never kill the worker thread
            log.exception("model loading crashed")
            self.models_failed.emit("Model loading failed", f"{type(exc).__name__}: {exc}")
            return
        self.models_ready.emit()

    @Slot(str)
    def switch_chat_model(self, path: str) -> None:
        """Load another GGUF here, on the thread that owns the model; swap only if it loads."""
        try:
            ModelManager(self.runtime).use_chat_model(Path(path))
        except MembankError as exc:
            log.warning("chat model switch failed: %s", exc)
            self.model_switch_failed.emit(exc.title, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - report, never kill the worker thread
            log.exception("chat model switch crashed")
            self.model_switch_failed.emit("Model not changed", f"{type(exc).__name__}: {exc}")
            return
        self.model_switched.emit(path)

    @Slot(int, str)
    def send(self, conversation_id: int, text: str) -> None:
        service = self.runtime.service

        def events() -> Iterator[ChatEvent]:
            cid = conversation_id
            if cid <= 0:
                conversation = service.new_conversation()
                cid = conversation.id
                self.conversation_created.emit(conversation)
            yield from service.send(cid, text, cancel=self._cancel)

        self._relay(events)

    @Slot(object, str)
    def send_paused(self, history: list[Message], text: str) -> None:
        """Memory paused: the reply uses memories, but nothing of this chat is stored."""
        service = self.runtime.service
        self._relay(lambda: service.send_paused(history, text, cancel=self._cancel))

    def _relay(self, events: Callable[[], Iterator[ChatEvent]]) -> None:
        self._cancel.clear()
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

"""ChatService: conversations, and one recall-and-reply path for send, paused send and
regenerate (the CLI's `ask` and `chat`, the GUI's chat worker)."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from app.engine.host import ModelHost, Models
from app.engine.prompt_style import prompt_style_for
from app.services.events import ChatEvent, RecallEvent, ReplyEvent, TokenEvent
from app.services.recall import overview, recall
from memory.clock import Clock
from memory.recall.extractive import compose, keep_unled, lead_for
from memory.recall.prompt import Prompt, PromptBudget, PromptBuilder
from memory.recall.reply_check import check_reply, check_used
from memory.records import PERSONAL, Conversation, Kind, Message, MessageHit, check_space
from memory.storage.store import SQLiteStore
from models.errors import MembankError
from models.protocols import LLM, CancelToken

DEFAULT_TITLE = "New conversation"


class ChatService:
    """Conversations work as soon as the store is open; replies need the host's models."""

    def __init__(self, store: SQLiteStore, host: ModelHost, clock: Clock) -> None:
        self.store = store
        self.host = host
        self.clock = clock

    # --- conversations -------------------------------------------------------------------

    def conversations(self) -> list[Conversation]:
        return self.store.conversations()

    def new_conversation(self, title: str = DEFAULT_TITLE, space: str = PERSONAL) -> Conversation:
        """A conversation in `space`: it recalls that space's memories (and shared ones) only,
        and what is said in it is remembered there."""
        return self.store.create_conversation(title, self.clock.now(), check_space(space))

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        self.store.rename_conversation(conversation_id, title.strip() or DEFAULT_TITLE)

    def delete_conversation(self, conversation_id: int) -> None:
        self.store.delete_conversation(conversation_id)

    def messages(self, conversation_id: int) -> list[Message]:
        return self.store.messages(conversation_id)

    def search_messages(self, query: str, limit: int = 50) -> list[MessageHit]:
        """Search every conversation's messages by keyword (works before the models load)."""
        return self.store.search_messages(query, limit)

    # --- replies ---------------------------------------------------------------------------

    def send(
        self, conversation_id: int, text: str, *, cancel: CancelToken | None = None
    ) -> Iterator[ChatEvent]:
        """Store the user's message, recall memories, stream the reply, record what it used.

        The user's turn is committed (and remembered) before generation starts, so a crash or
        a Stop never loses what the user said."""
        with self.host.lease() as models:
            models.require()
            text = text.strip()
            if not text:
                return
            conversation = self.store.conversation(conversation_id)
            now = self.clock.now()
            turns = models.config.memory.history_turns
            history = self.store.messages(conversation_id, limit=turns)
            user_message = self.store.add_message(conversation_id, "user", text, now)
            if conversation.title == DEFAULT_TITLE and not history:
                self.store.rename_conversation(conversation_id, _title_from(text))
            yield from self._recall_and_reply(
                models, user_message, history, now, cancel, conversation.space, remember_turn=True
            )

    def send_paused(
        self,
        history: Sequence[Message],
        text: str,
        *,
        cancel: CancelToken | None = None,
        space: str = PERSONAL,
    ) -> Iterator[ChatEvent]:
        """Memory paused (incognito): memories are read, nothing is written — no messages, no
        turn memory, no strengthening. The caller keeps the conversation (ids are negative)."""
        with self.host.lease() as models:
            models.require()
            text = text.strip()
            if not text:
                return
            now = self.clock.now()
            user_message = Message(-(2 * len(history) + 1), 0, "user", text, now)
            yield from self._recall_and_reply(models, user_message, history, now, cancel, space)

    def regenerate(
        self, conversation_id: int, *, cancel: CancelToken | None = None
    ) -> Iterator[ChatEvent]:
        """Answer the conversation's last user message again: the last reply is replaced.

        The user's message and its turn memory stay as they are (nothing is stored twice);
        recall runs afresh, leaving out the memory made from that very message."""
        with self.host.lease() as models:
            models.require()
            turns = models.config.memory.history_turns
            recent = self.store.messages(conversation_id, limit=turns + 2)
            if recent and recent[-1].role == "assistant":
                self.store.delete_message(recent[-1].id)
                recent = recent[:-1]
            if not recent or recent[-1].role != "user":
                raise MembankError("There is no message to answer again in this conversation.")
            user_message = recent[-1]
            history = recent[:-1][-turns:]
            space = self.store.conversation(conversation_id).space
            yield from self._recall_and_reply(
                models, user_message, history, self.clock.now(), cancel, space, skip_own_memory=True
            )

    def ask(
        self, text: str, conversation_id: int | None = None, space: str = PERSONAL
    ) -> ReplyEvent:
        """Send one message and wait for the whole reply (CLI `ask`)."""
        if not text.strip():
            raise MembankError("Nothing to send: the message is empty.")
        if conversation_id is None:
            conversation_id = self.new_conversation(space=space).id
        reply: ReplyEvent | None = None
        for event in self.send(conversation_id, text, cancel=threading.Event()):
            if isinstance(event, ReplyEvent):
                reply = event
        if reply is None:
            raise MembankError("Nothing to send: the message is empty.")
        return reply

    def _recall_and_reply(
        self,
        models: Models,
        user_message: Message,
        history: Sequence[Message],
        now: datetime,
        cancel: CancelToken | None,
        space: str,
        *,
        remember_turn: bool = False,
        skip_own_memory: bool = False,
    ) -> Iterator[ChatEvent]:
        """The one path every reply takes: recall, prompt, stream, then (for a stored
        conversation, id > 0) store the reply and strengthen the memories it used."""
        bank, llm = models.require()
        stored = user_message.id > 0
        prompt = self._prompt(
            models,
            user_message.text,
            now,
            without_flagged(history),
            user_message.id if skip_own_memory else None,
            space,
        )
        if remember_turn:  # after recall, so the turn does not recall itself
            bank.remember(
                Kind.TURN,
                user_message.text,
                now,
                conversation_id=user_message.conversation_id,
                source_message_ids=[user_message.id],
                space=space,
            )
        used = tuple(prompt.used)
        yield RecallEvent(user_message, used, tuple(prompt.messages))
        lead = None
        if prompt_style_for(models.config) == "extractive":
            lead = lead_for(user_message.text, [r.memory for r in used])
        if lead is None:
            reply_text, stopped = yield from _stream(llm, prompt, cancel)
        elif not lead.answers:  # about the user's past, no memory answers by its words
            phrased, stopped = (
                ("", False) if not used else (yield from _stream(llm, prompt, cancel))
            )
            memories = [r.memory for r in used]
            if stopped or not keep_unled(user_message.text, phrased, memories):
                reply_text = lead.text  # what the model said is not kept: nothing invented
                yield TokenEvent(("\n\n" if phrased else "") + lead.text)
            else:
                reply_text = phrased
        else:  # the memory first, in its own words; the model's phrasing only if it checks out
            yield TokenEvent(lead.text + "\n\n")
            phrased, stopped = yield from _stream(llm, prompt, cancel)
            memories = [r.memory for r in used]
            reply_text = compose(lead, user_message.text, "" if stopped else phrased, memories)
        if stored:
            reply = self.store.add_message(
                user_message.conversation_id, "assistant", reply_text, self.clock.now()
            )
            bank.strengthen(used, now, reply.id)
        else:
            reply = Message(user_message.id - 1, 0, "assistant", reply_text, self.clock.now())
        check = check_used(user_message.text, reply_text, used, stopped)
        reply = replace(reply, used_memories=tuple(r.memory for r in used))
        yield ReplyEvent(reply, used, stopped, check)

    def _prompt(
        self,
        models: Models,
        text: str,
        now: datetime,
        history: Sequence[Message],
        skip_message: int | None,
        space: str,
    ) -> Prompt:
        bank, llm = models.require()
        builder = PromptBuilder(
            llm.count_tokens,
            PromptBudget(context_size=llm.context_size, reply_tokens=models.config.llm.max_tokens),
            prompt_style_for(models.config),
        )
        # The overviews go in the system prompt whole; recall brings the specific memories.
        summary = overview(self.store, space)
        found = recall(bank, text, now, space=space)
        if skip_message is not None:  # not the memory made from the message being answered
            found = [r for r in found if skip_message not in r.memory.source_message_ids]
        return builder.build(
            text,
            now,
            found,
            history,
            persona=summary.persona.text if summary.persona else "",
            summary=summary.summary.text if summary.summary else "",
        )


def _stream(
    llm: LLM, prompt: Prompt, cancel: CancelToken | None
) -> Generator[TokenEvent, None, tuple[str, bool]]:
    """Yield the reply's tokens; return its text and whether Stop ended it."""
    pieces: list[str] = []
    for piece in llm.stream_chat(prompt.messages, cancel=cancel):
        pieces.append(piece)
        yield TokenEvent(piece)
    stopped = bool(cancel is not None and cancel.is_set())
    return "".join(pieces).strip() or ("(stopped)" if stopped else "(no answer)"), stopped


def without_flagged(history: Sequence[Message]) -> list[Message]:
    """The recent turns minus the replies the reply check flags (an invented detail read back
    as a previous turn is repeated as fact); the user's own messages all stay."""
    kept: list[Message] = []
    for i, message in enumerate(history):
        if message.role == "assistant" and message.used_memories and i:
            question = history[i - 1].text if history[i - 1].role == "user" else ""
            if question and check_reply(question, message.text, message.used_memories).flagged:
                continue
        kept.append(message)
    return kept


def _title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 48 else line[:47].rstrip() + "…"

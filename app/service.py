"""AssistantService: the one facade the GUI and the CLI share (send, stream, remember, browse)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from app.config import Config
from app.engine.prompt_style import prompt_style_for
from app.transfer.formats import FileImportReport, detect_format, import_file
from memory.archive.reader import read_archive
from memory.archive.restore import ImportReport
from memory.archive.restore import import_archive as apply_archive
from memory.archive.writer import ExportFilter, ExportReport, Phase, export_archive
from memory.bank import IndexReport, MemoryBank
from memory.clock import Clock
from memory.consolidation.hierarchy import HierarchyStore
from memory.errors import NotFoundError
from memory.lifecycle.decay import DecayPolicy
from memory.lifecycle.erase import ForgetReport, forget
from memory.lifecycle.fading import restore
from memory.recall.prompt import Prompt, PromptBudget, PromptBuilder
from memory.recall.reply_check import ReplyCheck, check_used
from memory.records import Conversation, Kind, Link, Memory, Message, MessageHit, Recalled, State
from memory.storage.audit import AuditEntry
from memory.storage.audit import entries as audit_entries
from memory.storage.store import SQLiteStore
from models.errors import MembankError
from models.protocols import LLM, CancelToken, ChatMessage

log = logging.getLogger(__name__)
DEFAULT_TITLE = "New conversation"
IN_SYSTEM_PROMPT = frozenset({Kind.GLOBAL_PERSONA, Kind.GLOBAL_SUMMARY, Kind.DAILY_PERSONA})


@dataclass(frozen=True)
class Overview:
    """What membank has distilled about the user (the persona view)."""

    persona: Memory | None
    summary: Memory | None
    reflections: tuple[Memory, ...]
    facts: tuple[Memory, ...]


@dataclass(frozen=True)
class Day:
    day: str
    summary: Memory | None
    persona: Memory | None


class ModelsNotReadyError(MembankError):
    title = "Still loading"

    def __init__(self) -> None:
        super().__init__("The models are still loading. Try again in a moment.")


@dataclass(frozen=True)
class RecallEvent:
    """The memories that went into the prompt (sent before the first token)."""

    user_message: Message
    memories: tuple[Recalled, ...]
    prompt: tuple[ChatMessage, ...]  # exactly what the model is given


@dataclass(frozen=True)
class TokenEvent:
    text: str


@dataclass(frozen=True)
class ReplyEvent:
    message: Message
    used: tuple[Recalled, ...]
    stopped: bool
    check: ReplyCheck | None = None  # the reply checked against the memories it used


ChatEvent = RecallEvent | TokenEvent | ReplyEvent


class AssistantService:
    """Conversations and memories work as soon as the store is open; chat needs `attach()`."""

    def __init__(self, config: Config, store: SQLiteStore, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.bank: MemoryBank | None = None
        self.llm: LLM | None = None
        self._builder: PromptBuilder | None = None

    def attach(self, bank: MemoryBank, llm: LLM) -> None:
        self.bank = bank
        self.llm = llm
        self._builder = PromptBuilder(
            llm.count_tokens,
            PromptBudget(context_size=llm.context_size, reply_tokens=self.config.llm.max_tokens),
            prompt_style_for(self.config),
        )

    @property
    def ready(self) -> bool:
        return self.bank is not None and self.llm is not None

    def _models(self) -> tuple[MemoryBank, LLM, PromptBuilder]:
        if self.bank is None or self.llm is None or self._builder is None:
            raise ModelsNotReadyError()
        return self.bank, self.llm, self._builder

    # --- conversations -------------------------------------------------------------------

    def conversations(self) -> list[Conversation]:
        return self.store.conversations()

    def new_conversation(self, title: str = DEFAULT_TITLE) -> Conversation:
        return self.store.create_conversation(title, self.clock.now())

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        self.store.rename_conversation(conversation_id, title.strip() or DEFAULT_TITLE)

    def delete_conversation(self, conversation_id: int) -> None:
        self.store.delete_conversation(conversation_id)

    def messages(self, conversation_id: int) -> list[Message]:
        return self.store.messages(conversation_id)

    # --- chat ------------------------------------------------------------------------------

    def send(
        self, conversation_id: int, text: str, *, cancel: CancelToken | None = None
    ) -> Iterator[ChatEvent]:
        """Store the user's message, recall memories, stream the reply, record what it used.

        The user's turn is committed (and remembered) before generation starts, so a crash or
        a Stop never loses what the user said.
        """
        bank, llm, builder = self._models()
        text = text.strip()
        if not text:
            return
        conversation = self.store.conversation(conversation_id)
        now = self.clock.now()
        history = self.store.messages(conversation_id, limit=self.config.memory.history_turns)
        user_message = self.store.add_message(conversation_id, "user", text, now)
        if conversation.title == DEFAULT_TITLE and not history:
            self.store.rename_conversation(conversation_id, _title_from(text))
        prompt = self._prompt(bank, builder, text, now, history)  # recall before remembering
        bank.remember(
            Kind.TURN,
            text,
            now,
            conversation_id=conversation_id,
            source_message_ids=[user_message.id],
        )
        used = tuple(prompt.used)
        yield RecallEvent(user_message, used, tuple(prompt.messages))
        reply_text, stopped = yield from _stream(llm, prompt, cancel)
        reply = self.store.add_message(conversation_id, "assistant", reply_text, self.clock.now())
        bank.strengthen(used, now, reply.id)
        reply = Message(
            reply.id,
            reply.conversation_id,
            reply.role,
            reply.text,
            reply.created_at,
            tuple(r.memory for r in used),
        )
        yield ReplyEvent(reply, used, stopped, check_used(text, reply_text, used, stopped))

    def _prompt(
        self,
        bank: MemoryBank,
        builder: PromptBuilder,
        text: str,
        now: datetime,
        history: Sequence[Message],
        skip_message: int | None = None,
    ) -> Prompt:
        # The overviews go in the system prompt whole; recall brings the specific memories.
        overview = self.overview()
        found = self._recall(bank, text, now)
        if skip_message is not None:  # not the memory made from the message being answered
            found = [r for r in found if skip_message not in r.memory.source_message_ids]
        return builder.build(
            text,
            now,
            found,
            history,
            persona=overview.persona.text if overview.persona else "",
            summary=overview.summary.text if overview.summary else "",
        )

    def send_paused(
        self, history: Sequence[Message], text: str, *, cancel: CancelToken | None = None
    ) -> Iterator[ChatEvent]:
        """Memory paused (incognito): memories are read, nothing is written — no messages, no
        turn memory, no strengthening. The caller keeps the conversation (ids are negative)."""
        bank, llm, builder = self._models()
        text = text.strip()
        if not text:
            return
        now = self.clock.now()
        prompt = self._prompt(bank, builder, text, now, history)
        user_message = Message(-(2 * len(history) + 1), 0, "user", text, now)
        used = tuple(prompt.used)
        yield RecallEvent(user_message, used, tuple(prompt.messages))
        reply_text, stopped = yield from _stream(llm, prompt, cancel)
        reply = Message(
            -(2 * len(history) + 2),
            0,
            "assistant",
            reply_text,
            self.clock.now(),
            tuple(r.memory for r in used),
        )
        yield ReplyEvent(reply, used, stopped, check_used(text, reply_text, used, stopped))

    def regenerate(
        self, conversation_id: int, *, cancel: CancelToken | None = None
    ) -> Iterator[ChatEvent]:
        """Answer the conversation's last user message again: the last reply is replaced.

        The user's message and its turn memory stay as they are (nothing is stored twice);
        recall runs afresh, leaving out the memory made from that very message."""
        bank, llm, builder = self._models()
        recent = self.store.messages(conversation_id, limit=self.config.memory.history_turns + 2)
        if recent and recent[-1].role == "assistant":
            self.store.delete_message(recent[-1].id)
            recent = recent[:-1]
        if not recent or recent[-1].role != "user":
            raise MembankError("There is no message to answer again in this conversation.")
        user_message = recent[-1]
        history = recent[:-1][-self.config.memory.history_turns :]
        now = self.clock.now()
        prompt = self._prompt(bank, builder, user_message.text, now, history, user_message.id)
        used = tuple(prompt.used)
        yield RecallEvent(user_message, used, tuple(prompt.messages))
        reply_text, stopped = yield from _stream(llm, prompt, cancel)
        reply = self.store.add_message(conversation_id, "assistant", reply_text, self.clock.now())
        bank.strengthen(used, now, reply.id)
        check = check_used(user_message.text, reply_text, used, stopped)
        reply = replace(reply, used_memories=tuple(r.memory for r in used))
        yield ReplyEvent(reply, used, stopped, check)

    def ask(self, text: str, conversation_id: int | None = None) -> ReplyEvent:
        """Send one message and wait for the whole reply (CLI `ask`)."""
        if not text.strip():
            raise MembankError("Nothing to send: the message is empty.")
        if conversation_id is None:
            conversation_id = self.new_conversation().id
        reply: ReplyEvent | None = None
        for event in self.send(conversation_id, text, cancel=threading.Event()):
            if isinstance(event, ReplyEvent):
                reply = event
        if reply is None:
            raise MembankError("Nothing to send: the message is empty.")
        return reply

    # --- memories --------------------------------------------------------------------------

    def remember(self, text: str) -> Memory:
        """Store `text` as a note ("remember this")."""
        bank, _, _ = self._models()
        text = text.strip()
        if not text:
            raise MembankError("Nothing to remember: the text is empty.")
        return bank.remember(Kind.NOTE, text, self.clock.now())

    def remember_message(self, message_id: int) -> Memory:
        """ "Remember this" on a chat message: a note with the message's words, linked to it."""
        bank, _, _ = self._models()
        message = self.store.message(message_id)
        return bank.remember(
            Kind.NOTE,
            message.text,
            self.clock.now(),
            conversation_id=message.conversation_id,
            source_message_ids=[message.id],
        )

    def search_messages(self, query: str, limit: int = 50) -> list[MessageHit]:
        """Search every conversation's messages by keyword (works before the models load)."""
        return self.store.search_messages(query, limit)

    def capture(self, text: str) -> Memory:
        """Quick capture: the note is committed at once, even while the models still load;
        its vector follows now if the embedder is ready, else at the next index reconcile."""
        text = text.strip()
        if not text:
            raise MembankError("Nothing to remember: the text is empty.")
        if self.bank is not None:
            return self.bank.remember(Kind.NOTE, text, self.clock.now())
        strength = DecayPolicy(self.config.memory.initial_strength).initial(Kind.NOTE, text)
        return self.store.add_memory(Kind.NOTE, text, self.clock.now(), strength=strength)

    def memories(self, limit: int = 100, offset: int = 0) -> list[Memory]:
        return self.store.memories(limit=limit, offset=offset)

    def memory(self, memory_id: str) -> Memory:
        return self.store.memory(memory_id)

    def overview(self) -> Overview:
        h = HierarchyStore(self.store)
        return Overview(
            h.by_key("global_persona"),
            h.by_key("global_summary"),
            tuple(h.of_kind(Kind.REFLECTION)),
            tuple(h.of_kind(Kind.FACT)),
        )

    def days(self, day: str | None = None) -> list[Day]:
        """Daily summaries and personas, newest first (or just `day`, YYYY-MM-DD)."""
        h = HierarchyStore(self.store)
        summaries = {
            (m.derive_key or "").split(":")[-1]: m
            for m in h.of_kind(Kind.DAILY_SUMMARY, active_only=False)
        }
        personas = {
            (m.derive_key or "").split(":")[-1]: m
            for m in h.of_kind(Kind.DAILY_PERSONA, active_only=False)
        }
        keys = sorted(set(summaries) | set(personas), reverse=True)
        return [Day(d, summaries.get(d), personas.get(d)) for d in keys if day in (None, d)]

    def links(self, memory_id: str) -> list[Link]:
        return HierarchyStore(self.store).links(self.store.memory(memory_id).id)

    def set_pinned(self, memory_id: str, pinned: bool) -> Memory:
        memory = self.store.memory(memory_id)
        HierarchyStore(self.store).set_flag(memory.id, "pinned", pinned)
        if pinned and memory.state is State.FADED:
            restore(self.store, memory.id, self.clock.now())
        return self.store.memory(memory.id)

    def set_locked(self, memory_id: str, locked: bool) -> Memory:
        """A locked entry (persona, summary, …) is left alone by consolidation; unlock to let
        the next run rewrite it."""
        memory = self.store.memory(memory_id)
        HierarchyStore(self.store).set_flag(memory.id, "locked", locked)
        return self.store.memory(memory.id)

    def restore(self, memory_id: str) -> Memory:
        """A faded memory comes back into recall, its forgetting clock restarted."""
        memory = self.store.memory(memory_id)
        restore(self.store, memory.id, self.clock.now())
        return self.store.memory(memory.id)

    def edit_memory(self, memory_id: str, text: str) -> Memory:
        """A user edit: new text, locked against consolidation, re-embedded and re-indexed."""
        text = text.strip()
        if not text:
            raise MembankError("Nothing to save: the text is empty.")
        memory = self.store.memory(memory_id)
        HierarchyStore(self.store).edit_text(memory.id, text, self.clock.now())
        if self.bank is not None:
            self.bank.reconcile()  # else the next start-up reconcile re-embeds it
        return self.store.memory(memory.id)

    def search(self, query: str, k: int = 10) -> list[Recalled]:
        bank, _, _ = self._models()
        return self._recall(bank, query, self.clock.now(), k)

    def _recall(
        self, bank: MemoryBank, query: str, now: datetime, k: int | None = None
    ) -> list[Recalled]:
        """Recall, minus what the system prompt holds anyway, with knowledge updates brought in:
        a memory whose fact was superseded is preceded by the newer fact (the newest wins)."""
        # Ask for a few extra: the overview kinds are dropped here and must not cost slots.
        want = k or bank.retriever.settings.k
        found = [
            r
            for r in bank.recall(query, now, want + len(IN_SYSTEM_PROMPT))
            if r.memory.kind not in IN_SYSTEM_PROMPT
        ][:want]
        updates = HierarchyStore(self.store).updates_for([r.memory for r in found])
        if not updates:
            return found
        newer = self.store.memories_by_ids(sorted(set(updates.values())))
        out: list[Recalled] = []
        seen: set[str] = set()
        for item in found:
            update = newer.get(updates.get(item.memory.id, ""))
            if update is not None and update.id not in seen and update.state is State.ACTIVE:
                retention = bank.decay.retention(update, now)
                out.append(Recalled(update, item.score, None, retention))
                seen.add(update.id)
            if item.memory.id not in seen:
                out.append(item)
                seen.add(item.memory.id)
        return out[:want]

    def retention(self, memory: Memory) -> float:
        bank = self.bank
        if bank is None:
            raise ModelsNotReadyError()
        return bank.decay.retention(memory, self.clock.now())

    def index_report(self) -> IndexReport:
        bank, _, _ = self._models()
        return bank.index_report()

    def forgetting_curve(
        self, memory_id: str
    ) -> tuple[list[tuple[datetime, float]], list[datetime]]:
        """This memory's retention over time (sampled) and the times it was recalled."""
        memory = self.store.memory(memory_id)
        recalls = self.store.recall_events(memory.id)
        decay = self.bank.decay if self.bank is not None else DecayPolicy()
        points = decay.curve(memory, recalls, self.clock.now())
        return points, [at for at, _ in recalls]

    def used_by(self, memory_id: str) -> list[int]:
        """Ids of the assistant messages whose prompt used this memory."""
        return self.store.replies_using(self.store.memory(memory_id).id)

    # --- archive and privacy ---------------------------------------------------------------

    def _bank(self) -> MemoryBank:
        if self.bank is None:
            raise ModelsNotReadyError()
        return self.bank

    def audit(self, limit: int = 200) -> list[AuditEntry]:
        """The log of memory changes, newest first (ids and kinds only, never memory text)."""
        return audit_entries(self.store, limit=limit)

    def forget(self, memory_ids: list[str]) -> ForgetReport:
        """Forget these memories completely, and everything derived from them."""
        return forget(self._bank(), memory_ids, self.clock.now())

    def export(
        self,
        path: Path,
        selection: ExportFilter | None = None,
        *,
        embeddings: bool = True,
        passphrase: str | None = None,
        on_phase: Phase = lambda _: None,
    ) -> ExportReport:
        """Write a .membank archive (atomically); the vectors go in when the models are loaded."""
        return export_archive(
            self.store,
            Path(path),
            self.clock.now(),
            selection=selection,
            bank=self.bank if embeddings else None,
            passphrase=passphrase,
            on_phase=on_phase,
        )

    def import_archive(
        self,
        path: Path,
        mode: str = "merge",
        passphrase: str | None = None,
        on_phase: Phase = lambda _: None,
    ) -> ImportReport:
        """Validate a .membank archive completely, then merge or replace (after a backup in the
        data folder's `backups/`); a bad archive changes nothing."""
        contents = read_archive(Path(path), passphrase)
        return apply_archive(
            self._bank(),
            contents,
            self.clock.now(),
            mode=mode,
            backup_dir=self.store.path.parent / "backups",
            on_phase=on_phase,
        )

    def import_file(self, path: Path, fmt: str | None = None) -> FileImportReport:
        """Import a ChatGPT export, a folder of notes or LoCoMo JSON (`fmt` guessed if None)."""
        path = Path(path)
        return import_file(self._bank(), path, fmt or detect_format(path), self.clock.now())


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


def _title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 48 else line[:47].rstrip() + "…"


__all__ = [
    "AssistantService",
    "ChatEvent",
    "ModelsNotReadyError",
    "NotFoundError",
    "RecallEvent",
    "ReplyEvent",
    "TokenEvent",
]

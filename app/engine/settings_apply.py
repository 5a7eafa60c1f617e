"""Apply changed settings to a running membank: what takes effect now, and what at next start.

The chat model is reloaded first; if the new one fails to load, nothing is saved and the old
model keeps answering. Everything else is saved, then applied in place."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.config import Config
from app.engine.host import KEEP, Keep
from app.engine.loading import EngineParts, decay_policy, load_llm, recall_settings
from app.jobs.scheduler import MemoryScheduler
from memory.bank import MemoryBank
from models.errors import MembankError, ModelLoadError
from models.protocols import LLM

log = logging.getLogger(__name__)


class SettingsTarget(EngineParts, Protocol):
    """A running membank whose schedule can be restarted (`app.bootstrap.Runtime`)."""

    scheduler: MemoryScheduler | None

    def start_scheduler(self) -> MemoryScheduler: ...


@dataclass
class Applied:
    """What `apply_settings` did, in words the settings dialog can show."""

    reloaded_model: str | None = None
    now: list[str] = field(default_factory=list)
    at_next_start: list[str] = field(default_factory=list)


def load_chat_model(config: Config) -> LLM:
    """Load the chat model `config` describes, off to the side: nothing running is touched.

    Any failure is a ModelLoadError naming the file."""
    try:
        return load_llm(config)
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever llama.cpp raises, the old model stays
        path = config.llm.model_path or "the bundled chat model"
        raise ModelLoadError(path, f"{type(exc).__name__}: {exc}") from exc


def with_memory_settings(bank: MemoryBank, config: Config) -> MemoryBank:
    """The same store, index and embedder under `config`'s forgetting curve and recall
    settings: a new bank to swap in, never a change under a reader's feet."""
    return MemoryBank(
        bank.store, bank.index, bank.embedder, decay_policy(config), recall_settings(config)
    )


@dataclass(frozen=True)
class SettingsEdit:
    """The sections a settings form changed, against the config it started from: applied over
    whatever is in effect when it lands, so an edit made meanwhile elsewhere is kept."""

    sections: dict[str, Any]

    @classmethod
    def between(cls, base: Config, chosen: Config) -> SettingsEdit:
        names = [n for n in Config.model_fields if getattr(chosen, n) != getattr(base, n)]
        return cls({n: getattr(chosen, n) for n in names})

    def apply_to(self, config: Config) -> Config:
        return config.model_copy(update=self.sections)


def apply_settings(
    runtime: SettingsTarget, change: Config | SettingsEdit, *, reload_model: bool = True
) -> Applied:
    """Apply a settings edit through the host's one `update_config` path (a whole Config is
    taken as an edit against the one in effect). With `reload_model`, a changed chat model
    section is reloaded first (raising ModelLoadError and saving nothing when it fails)."""
    host = runtime.host
    edit = change if isinstance(change, SettingsEdit) else SettingsEdit.between(host.config, change)
    applied = Applied()
    llm: LLM | None = None
    if reload_model and "llm" in edit.sections:
        if host.ready:
            # raises: nothing saved, the old model keeps answering
            llm = load_chat_model(edit.apply_to(host.config))
        else:
            applied.at_next_start.append("chat model (the models are still loading)")

    def bank_for(old: Config, new: Config) -> MemoryBank | None | Keep:
        bank = host.models.bank
        if bank is None or new.memory == old.memory:
            return KEEP
        return with_memory_settings(bank, new)

    try:
        # One swap: a reply or job step sees the old model and settings or the new, never a
        # mix; the old chat model is closed once the last one using it ends.
        old, new = host.update_config(
            edit.apply_to, llm=KEEP if llm is None else llm, bank=bank_for
        )
    except MembankError:
        if llm is not None:
            llm.close()
        raise
    if llm is not None:
        log.info("chat model switched to %s", llm.model_id)
        applied.reloaded_model = llm.model_id
        applied.now.append(f"chat model: {llm.model_id}")
    if new.memory != old.memory:
        applied.now.append("memory and forgetting-curve settings")
    if new.scheduler != old.scheduler:
        scheduler = runtime.scheduler
        if scheduler is not None:
            scheduler.shutdown()
            runtime.scheduler = None
            if new.scheduler.enabled:
                runtime.start_scheduler()
        applied.now.append("schedule")
    if new.ui != old.ui:
        applied.now.append("window behaviour")
    if new.embedder != old.embedder:
        applied.at_next_start.append(
            "embedding model (every memory is re-embedded into a new index at the next start)"
        )
    if new.data_dir != old.data_dir:
        applied.at_next_start.append("data folder")
    return applied

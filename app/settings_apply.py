"""Apply changed settings to a running membank: what takes effect now, and what at next start.

The chat model is reloaded first; if the new one fails to load, nothing is saved and the old
model keeps answering. Everything else is saved, then applied in place."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from app.bootstrap import Runtime, decay_policy, load_llm
from app.config import Config, save_config

log = logging.getLogger(__name__)


@dataclass
class Applied:
    """What `apply_settings` did, in words the settings dialog can show."""

    reloaded_model: str | None = None
    now: list[str] = field(default_factory=list)
    at_next_start: list[str] = field(default_factory=list)


def reload_chat_model(runtime: Runtime, config: Config) -> str:
    """Load the chat model `config` describes and switch to it; returns its name.

    Raises ModelLoadError (the old model untouched and still in use) when it cannot load.
    Call it from the thread that runs chat (the GUI's LLM worker); a consolidation step that
    is still using the old model finishes first."""
    service = runtime.service
    new = load_llm(config)
    old = service.llm
    if service.bank is not None:
        service.config = replace_llm(service.config, config)
        service.attach(service.bank, new)
    else:
        new.close()  # models not loaded yet: start-up loads the saved settings
        return new.model_id
    if old is not None:
        old.close()
    log.info("chat model switched to %s", new.model_id)
    return new.model_id


def replace_llm(current: Config, new: Config) -> Config:
    return current.model_copy(update={"llm": new.llm})


def apply_settings(runtime: Runtime, new: Config, *, reload_model: bool = True) -> Applied:
    """Save `new` and apply it. With `reload_model`, a changed chat model section is reloaded
    first (raising ModelLoadError and saving nothing when it fails)."""
    old = runtime.config
    applied = Applied()
    if reload_model and new.llm != old.llm:
        if runtime.service.ready:
            applied.reloaded_model = reload_chat_model(runtime, new)
            applied.now.append(f"chat model: {applied.reloaded_model}")
        else:
            applied.at_next_start.append("chat model (the models are still loading)")
    save_config(runtime.paths.config_file, new)
    runtime.config = new
    runtime.service.config = new
    bank = runtime.service.bank
    if new.memory != old.memory:
        if bank is not None:
            bank.decay = decay_policy(new)
            bank.retriever.decay = bank.decay
            bank.retriever.settings = replace(
                bank.retriever.settings,
                k=new.memory.recall_k,
                min_similarity=new.memory.min_similarity,
            )
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

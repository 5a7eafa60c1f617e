"""Apply changed settings to a running membank: what takes effect now, and what at next start.

The chat model is reloaded first; if the new one fails to load, nothing is saved and the old
model keeps answering. Everything else is saved, then applied in place."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from app.bootstrap import Runtime, decay_policy, load_llm
from app.config import Config, save_config
from models.errors import MembankError, ModelLoadError
from models.protocols import LLM

log = logging.getLogger(__name__)


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


def swap_chat_model(runtime: Runtime, new: LLM) -> None:
    """Put `new` in service and free the old model (after a reply or job step using it ends).

    Call it from the thread that runs chat (the GUI's LLM worker)."""
    service = runtime.service
    old = service.llm
    if service.bank is not None:
        service.attach(service.bank, new)
    else:
        service.llm = new
    if old is not None and old is not new:
        old.close()
    log.info("chat model switched to %s", new.model_id)


def apply_settings(runtime: Runtime, new: Config, *, reload_model: bool = True) -> Applied:
    """Save `new` and apply it. With `reload_model`, a changed chat model section is reloaded
    first (raising ModelLoadError and saving nothing when it fails)."""
    old = runtime.config
    applied = Applied()
    llm: LLM | None = None
    if reload_model and new.llm != old.llm:
        if runtime.service.ready:
            llm = load_chat_model(new)  # raises: nothing saved, the old model keeps answering
        else:
            applied.at_next_start.append("chat model (the models are still loading)")
    try:
        save_config(runtime.paths.config_file, new)
    except MembankError:
        if llm is not None:
            llm.close()
        raise
    if llm is not None:
        swap_chat_model(runtime, llm)
        applied.reloaded_model = llm.model_id
        applied.now.append(f"chat model: {llm.model_id}")
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

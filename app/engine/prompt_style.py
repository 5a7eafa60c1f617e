"""Which reply prompt the configured chat model gets (memory/recall/prompt.py has the styles),
and who writes the summaries: both follow how small the model is."""

from __future__ import annotations

import functools

from app.config import Config
from memory.consolidation.consolidator import SummarySource
from memory.recall.prompt import PromptStyle
from models.errors import MembankError
from models.hub.discovery import resolve_chat_model

# A GGUF under this size is a sub-1B model (the bundled SmolLM2-135M is 90 MB): it answers
# from memory far more often, and invents less, with the extractive path (the compact prompt,
# and the answering memory's own words and date leading the reply): `membank-cli bench answers`
# on the MemoryBank probes, answer shown 1.000 against compact's 0.800, silent wrong 0.000
# against 0.133; on 12 LoCoMo questions 0.667 against 0.333 (docs/benchmarks.md).
SMALL_MODEL_BYTES = 500_000_000


def prompt_style_for(config: Config) -> PromptStyle:
    """The configured style, or for "auto": extractive for a small local model, else full."""
    return _style(config.llm.prompt_style, config.llm.engine, config.llm.model_path)


def summaries_for(config: Config) -> SummarySource:
    """Who writes the summaries: for "auto", the user's words under a small local model (its
    session summaries score below them on LoCoMo: docs/benchmarks.md), else the model."""
    setting = config.scheduler.summaries
    if setting != "auto":
        return setting
    return "words" if _small(config.llm.engine, config.llm.model_path) else "model"


@functools.lru_cache(maxsize=8)  # once per settings, not once per reply (Config has dicts)
def _style(setting: PromptStyle | str, engine: str, model_path: str) -> PromptStyle:
    if setting != "auto":
        return setting  # type: ignore[return-value]
    return "extractive" if _small(engine, model_path) else "full"


@functools.lru_cache(maxsize=8)
def _small(engine: str, model_path: str) -> bool:
    """A local GGUF under SMALL_MODEL_BYTES (a server: nothing says; it is usually large)."""
    if engine != "local":
        return False
    try:
        size = resolve_chat_model(model_path or None).stat().st_size
    except (MembankError, OSError):
        return False
    return size < SMALL_MODEL_BYTES

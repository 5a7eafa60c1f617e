"""Which reply prompt the configured chat model gets (memory/recall/prompt.py has the styles)."""

from __future__ import annotations

import functools

from app.config import Config
from memory.recall.prompt import PromptStyle
from models.errors import MembankError
from models.hub.discovery import resolve_chat_model

# A GGUF under this size is a sub-1B model (the bundled SmolLM2-135M is 90 MB): it answers
# better from the compact prompt (measured with `membank-cli bench answers`).
SMALL_MODEL_BYTES = 500_000_000


def prompt_style_for(config: Config) -> PromptStyle:
    """The configured style, or for "auto": compact for a small local model, else full."""
    return _style(config.llm.prompt_style, config.llm.engine, config.llm.model_path)


@functools.lru_cache(maxsize=8)  # once per settings, not once per reply (Config has dicts)
def _style(setting: PromptStyle | str, engine: str, model_path: str) -> PromptStyle:
    if setting != "auto":
        return setting  # type: ignore[return-value]
    if engine != "local":
        return "full"  # a server: nothing says how small its model is; it is usually large
    try:
        size = resolve_chat_model(model_path or None).stat().st_size
    except (MembankError, OSError):
        return "full"
    return "compact" if size < SMALL_MODEL_BYTES else "full"

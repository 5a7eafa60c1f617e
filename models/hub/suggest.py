"""The chat model to suggest on first run: a 1.5-4B instruct model from the catalog that fits
this computer (the bundled 135M stays the offline default; GPT4All and Jan suggest likewise)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.hub.catalog import CatalogEntry
from models.hub.hardware import FitAdvice, HardwareInfo, assess

SUGGESTED_PARAMETERS = (1.5, 4.0)  # billions: much better answers, still quick on a laptop CPU


@dataclass(frozen=True)
class Suggestion:
    entry: CatalogEntry
    advice: FitAdvice

    def text(self) -> str:
        e = self.entry
        return (
            f"{e.name} ({e.parameters_b:g}B parameters, {e.size_bytes / 1e9:.1f} GB download): "
            f"{self.advice.reason}"
        )


def suggest_chat_model(entries: Sequence[CatalogEntry], hw: HardwareInfo) -> Suggestion | None:
    """The largest 1.5-4B chat model that fits comfortably (not "tight"); None when none does."""
    low, high = SUGGESTED_PARAMETERS
    fitting = [
        Suggestion(e, advice)
        for e in entries
        if e.kind == "chat" and low <= e.parameters_b <= high
        if (advice := assess(e, hw)).fit == "fits"
    ]
    if not fitting:
        return None
    return max(fitting, key=lambda s: (s.entry.parameters_b, -s.entry.size_bytes))

"""Read a GGUF file's metadata (chat template, architecture, context) without its weights."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelLoadError
from models.hub.discovery import check_gguf


@dataclass(frozen=True)
class GGUFInfo:
    architecture: str
    name: str
    context_length: int | None
    has_chat_template: bool


def read_gguf_info(path: Path) -> GGUFInfo:
    """Load only the vocabulary (llama.cpp's vocab_only): fast, whatever the model's size."""
    check_gguf(path)
    from llama_cpp import Llama

    try:
        llama = Llama(model_path=str(path), vocab_only=True, verbose=False, n_threads=1)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelLoadError(str(path), f"llama.cpp cannot read its metadata ({exc})") from exc
    try:
        meta: dict[str, str] = dict(llama.metadata)
    finally:
        llama.close()
    arch = meta.get("general.architecture", "")
    ctx = meta.get(f"{arch}.context_length", "")
    return GGUFInfo(
        architecture=arch or "unknown",
        name=meta.get("general.name", "") or os.path.basename(path),
        context_length=int(ctx) if ctx.isdigit() else None,
        has_chat_template=bool(meta.get("tokenizer.chat_template")),
    )

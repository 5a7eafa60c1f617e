"""Which engines a config uses, in words (for `membank-cli doctor` and the benchmarks)."""

from __future__ import annotations

from app.config import Config, Paths


def describe_engines(config: Config, paths: Paths) -> dict[str, str]:
    llm = config.llm
    if llm.engine == "openai":
        chat = f"OpenAI-compatible server {llm.base_url} (model {llm.api_model or 'first listed'})"
    else:
        chat = f"local llama.cpp in-process ({llm.model_path or 'bundled model'})"
    url = config.index.server_url.strip()
    index = f"Chroma server {url}" if url else f"embedded Chroma folder {paths.index_dir}"
    return {"chat_engine": chat, "index_engine": index}

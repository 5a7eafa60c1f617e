"""`membank-cli bench consolidation` arguments to a run: loads the models the config names."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from app.bench.recall import load_embedder_default
from app.bootstrap import load_llm
from app.config import ConfigError, load_config, resolve_paths


def run_from_args(
    args: argparse.Namespace, say: Callable[[str], None]
) -> tuple[dict[str, Any], str] | None:
    """The report's JSON and markdown (the chat model is the config's, closed at the end), or
    None after a one-line error."""
    from app.bench.written.scores import run_consolidation

    try:
        config = load_config(args.config or resolve_paths(None).config_file)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    say("Loading the embedding and chat models…")
    embedder = load_embedder_default()
    llm = load_llm(config)
    try:
        report = run_consolidation(
            args.path,
            embedder=embedder,
            llm=llm,
            limit_conversations=args.limit_conversations,
            model_facts=args.facts == "both",
            progress=say,
        )
    finally:
        llm.close()
    return report.as_json(), report.markdown()

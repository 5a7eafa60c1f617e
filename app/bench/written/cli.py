"""`membank-cli bench consolidation` arguments to a run: loads the models the config names."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from app.bench.recall import load_embedder_default
from app.bootstrap import load_llm
from app.config import ConfigError, load_config, resolve_paths
from app.engine.prompt_style import summaries_for


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
        if args.compare_facts:
            return _compare(args, embedder, llm, say)
        report = run_consolidation(
            args.path,
            embedder=embedder,
            llm=llm,
            limit_conversations=args.limit_conversations,
            facts=args.facts or config.scheduler.facts,
            summaries=args.summaries or summaries_for(config),
            progress=say,
        )
    finally:
        llm.close()
    return report.as_json(), report.markdown()


def _compare(
    args: argparse.Namespace, embedder: Any, llm: Any, say: Callable[[str], None]
) -> tuple[dict[str, Any], str]:
    from app.bench.written.facts import SOURCES, compare_fact_sources, markdown

    sources = [args.facts] if args.facts in SOURCES else list(SOURCES)
    results = compare_fact_sources(
        args.path,
        embedder=embedder,
        llm=llm,
        sources=sources,
        limit_conversations=args.limit_conversations,
        progress=say,
    )
    conversations = len(
        json.loads(args.path.read_text(encoding="utf-8"))[: args.limit_conversations]
    )
    data = {
        "how": "each session's statements handed to each fact source at the session's end",
        "model": llm.model_id,
        "sources": {
            name: {
                **r.scores.as_json(),
                "seconds": round(r.seconds, 1),
                "failed_steps": r.failed_steps,
            }
            for name, r in results.items()
        },
    }
    return data, markdown(results, llm.model_id, conversations)

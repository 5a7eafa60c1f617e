"""`membank-cli bench answers` arguments to a run: checks the inputs, says what is wrong."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from app.config import ConfigError, load_config, resolve_paths
from memory.recall.prompt import PROMPT_STYLES


def run_from_args(
    args: argparse.Namespace, say: Callable[[str], None]
) -> tuple[dict[str, Any], str] | None:
    """The report's JSON and markdown, or None after printing a one-line error."""
    from app.bench.answers import run_answers

    styles = [s.strip() for s in args.styles.split(",") if s.strip()]
    unknown = [s for s in styles if s not in PROMPT_STYLES]
    problem = ""
    if not args.path.exists():
        problem = f"{args.path} does not exist"
    elif unknown:
        problem = f"unknown prompt style {unknown[0]!r}; use {', '.join(PROMPT_STYLES)}"
    elif args.questions is not None and args.questions < 1:
        problem = "--questions must be 1 or more"
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return None
    config_file = args.config or resolve_paths(None).config_file
    try:
        config = load_config(config_file)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    report = run_answers(
        args.path,
        limit=args.limit,
        per_conversation=args.questions,
        styles=styles,
        config=config,
        progress=say,
    )
    return report.as_json(), report.markdown()

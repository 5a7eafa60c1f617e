"""Run one `membank-cli bench ...` benchmark (each run uses fresh temporary data folders).

Imported only by that command: the GUI and every other command never load app.bench."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.bench import recall as bench

DOC = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def run(args: argparse.Namespace, argv: list[str]) -> int:
    command = "membank-cli " + " ".join(shlex.quote(a) for a in argv)
    say = (lambda _: None) if args.json else (lambda text: print(text, file=sys.stderr))
    if args.bench in ("crash", "soak"):
        data, text = _run_harness(args, say)
    elif args.bench == "recall":
        if not args.path.exists():
            print(f"error: {args.path} does not exist", file=sys.stderr)
            return 1
        if args.consolidate and not args.realtime:
            print("error: --consolidate goes with --realtime", file=sys.stderr)
            return 1
        settings = None
        if args.graph_weight is not None:  # the graph's weight, for its ablation rows
            from dataclasses import replace

            settings = replace(bench.app_recall_settings(), graph_weight=args.graph_weight)
        report = bench.run_recall(
            args.path,
            limit_conversations=args.limit_conversations,
            progress=say,
            realtime=args.realtime,
            consolidate=args.consolidate,
            recall_settings=settings,
        )
        data, text = report.as_json(), report.markdown()
    elif args.bench == "embedders":
        if not args.path.exists():
            print(f"error: {args.path} does not exist", file=sys.stderr)
            return 1
        from app.bench.embedders import run_embedders

        compared = run_embedders(args.path, args.limit_conversations, args.texts, progress=say)
        data, text = compared.as_json(), compared.markdown()
    elif args.bench == "consolidation":
        if not args.path.exists():
            print(f"error: {args.path} does not exist", file=sys.stderr)
            return 1
        from app.bench.written.cli import run_from_args as run_written

        written = run_written(args, say)
        if written is None:
            return 1
        data, text = written
    elif args.bench == "answers":
        from app.bench.answers_cli import run_from_args

        outcome = run_from_args(args, say)
        if outcome is None:
            return 1
        data, text = outcome
    elif args.bench == "sweep":
        from app.bench.sweep import run_sweep

        swept = run_sweep(
            args.path, limit_conversations=args.limit_conversations, only=args.only, progress=say
        )
        data, text = swept.as_json(), swept.markdown()
    elif args.bench == "chat":
        from app.bench import chat as chatbench

        chat = chatbench.run_chat(args.reps, args.max_tokens, progress=say)
        data, text = chat.as_json(), chat.markdown()
    elif args.bench == "startup":
        from app.bench import startup as startupbench

        started = startupbench.run_startup(args.reps, progress=say)
        data, text = started.as_json(), started.markdown()
    elif args.bench == "transcript":
        from app.bench import startup as startupbench

        opened = startupbench.run_transcript(args.messages, args.reps, progress=say)
        data, text = opened.as_json(), opened.markdown()
    else:
        from app.bench import scale as scalebench
        from app.bench.corpus import load_corpus

        missing = [str(p) for p in args.dialogue if not p.exists()]
        if missing:
            print(f"error: {', '.join(missing)} does not exist", file=sys.stderr)
            return 1
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        result = scalebench.run_scale(
            sizes,
            args.queries,
            args.vectors,
            progress=say,
            corpus=load_corpus(args.dialogue),
            startup=args.startup,
            graph=not args.no_graph,
        )
        data, text = result.as_json(), result.markdown()
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        print()
    else:
        print(text)
    if not args.no_write:
        name = "soak-year" if getattr(args, "year", False) else args.bench
        if args.bench == "consolidation" and args.compare_facts:
            name = "consolidation-facts"
        elif args.bench == "consolidation" and args.facts is not None:
            name = f"consolidation-{args.facts}"
        if args.bench == "recall" and args.realtime:  # its own table; the plain one stays
            name = "recall-realtime-consolidate" if args.consolidate else "recall-realtime"
        bench.write_section(DOC, name, command, text)
    return 0 if data.get("ok", True) else 1


def _run_harness(
    args: argparse.Namespace, say: Callable[[str], None]
) -> tuple[dict[str, Any], str]:
    if args.bench == "crash":
        from app.bench.crash import run_crash

        crash = run_crash(args.runs, seed=args.seed, progress=say)
        return crash.as_json(), crash.markdown()
    if args.year:
        from app.bench.soak_report import year_report

        return year_report(args, DOC.parent, say)
    from app.bench.soak import run_soak

    soak = run_soak(
        args.turns, max_tokens=args.max_tokens, job_interval=args.job_interval, progress=say
    )
    return soak.as_json(), soak.markdown()

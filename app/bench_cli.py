"""The `bench` subcommands of membank-cli (each run uses fresh temporary data folders)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from app import bench

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("bench", help="measure recall (LoCoMo) and speed at scale")
    bsub = parser.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    recall = bsub.add_parser("recall", help="recall@k on a file in LoCoMo's shape")
    recall.add_argument("path", type=Path)
    recall.add_argument("--limit-conversations", type=int, default=None, metavar="N")
    recall.add_argument("--json", action="store_true")
    recall.add_argument("--no-write", action="store_true", help="leave docs/benchmarks.md alone")
    scale = bsub.add_parser("scale", help="ingest rate, query latency and memory at 10k/100k")
    scale.add_argument("--sizes", default="10000,100000", help="comma-separated store sizes")
    scale.add_argument("--queries", type=int, default=200)
    scale.add_argument(
        "--vectors",
        choices=["model", "random"],
        default="model",
        help="fill with MiniLM vectors (slow past 10k here) or random unit vectors; queries "
        "always use the model",
    )
    scale.add_argument("--json", action="store_true")
    scale.add_argument("--no-write", action="store_true")
    chat = bsub.add_parser("chat", help="time to first token and tokens/s: app vs raw llama.cpp")
    chat.add_argument("--reps", type=int, default=5)
    chat.add_argument("--max-tokens", type=int, default=64, help="16 or more")
    chat.add_argument("--json", action="store_true")
    chat.add_argument("--no-write", action="store_true")
    startup = bsub.add_parser("startup", help="launch to visible window and to models ready")
    startup.add_argument("--reps", type=int, default=5)
    startup.add_argument("--json", action="store_true")
    startup.add_argument("--no-write", action="store_true")
    from app import hardening_cli

    hardening_cli.add_parsers(bsub)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    command = "membank-cli " + " ".join(shlex.quote(a) for a in argv)
    say = (lambda _: None) if args.json else (lambda text: print(text, file=sys.stderr))
    if args.bench in ("crash", "soak"):
        from app import hardening_cli

        data, text = hardening_cli.run(args, say)
    elif args.bench == "recall":
        if not args.path.exists():
            print(f"error: {args.path} does not exist", file=sys.stderr)
            return 1
        report = bench.run_recall(
            args.path, limit_conversations=args.limit_conversations, progress=say
        )
        data, text = report.as_json(), report.markdown()
    elif args.bench == "chat":
        from app import chatbench

        chat = chatbench.run_chat(args.reps, args.max_tokens, progress=say)
        data, text = chat.as_json(), chat.markdown()
    elif args.bench == "startup":
        from app import startupbench

        started = startupbench.run_startup(args.reps, progress=say)
        data, text = started.as_json(), started.markdown()
    else:
        from app import scalebench

        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        result = scalebench.run_scale(sizes, args.queries, args.vectors, progress=say)
        data, text = result.as_json(), result.markdown()
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        print()
    else:
        print(text)
    if not args.no_write:
        bench.write_section(DOC, args.bench, command, text)
    return 0 if data.get("ok", True) else 1

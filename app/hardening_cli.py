"""`membank-cli bench crash` and `bench soak`: the kill -9 harness and the long chat run."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_parsers(bsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    crash = bsub.add_parser(
        "crash", help="kill -9 at random moments (chat, consolidation, import, forget), check all"
    )
    crash.add_argument("--runs", type=int, default=200, help="kills in total, spread over phases")
    crash.add_argument("--seed", type=int, default=0)
    crash.add_argument("--json", action="store_true")
    crash.add_argument("--no-write", action="store_true")
    soak = bsub.add_parser("soak", help="N chat turns with the background jobs running throughout")
    soak.add_argument("--turns", type=int, default=1000)
    soak.add_argument("--max-tokens", type=int, default=16, help="reply length (min 16)")
    soak.add_argument("--job-interval", type=float, default=30.0, help="seconds between job runs")
    soak.add_argument("--json", action="store_true")
    soak.add_argument("--no-write", action="store_true")


def run(args: argparse.Namespace, say: Callable[[str], None]) -> tuple[dict[str, Any], str]:
    if args.bench == "crash":
        from app.crashbench import run_crash

        crash = run_crash(args.runs, seed=args.seed, progress=say)
        return crash.as_json(), crash.markdown()
    from app.soakbench import run_soak

    soak = run_soak(
        args.turns, max_tokens=args.max_tokens, job_interval=args.job_interval, progress=say
    )
    return soak.as_json(), soak.markdown()

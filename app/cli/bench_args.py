"""The arguments of `membank-cli bench ...`; the benchmarks themselves load only when one runs."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("bench", help="measure recall (LoCoMo) and speed at scale")
    bsub = parser.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    recall = bsub.add_parser("recall", help="recall@k on a file in LoCoMo's shape")
    recall.add_argument("path", type=Path)
    recall.add_argument("--limit-conversations", type=int, default=None, metavar="N")
    recall.add_argument(
        "--realtime",
        action="store_true",
        help="also live each conversation in time: sessions stored on their own dates, the "
        "scheduler's jobs replayed between them, questions the day after the last session",
    )
    recall.add_argument(
        "--consolidate",
        action="store_true",
        help="with --realtime: replay the real daily job (consolidation and reflection with the "
        "configured chat model), not only the decay sweep; slow",
    )
    recall.add_argument(
        "--graph-weight",
        type=float,
        default=None,
        metavar="W",
        help="weight of the memory graph's ranking in recall (0: off; default: the app's)",
    )
    recall.add_argument("--json", action="store_true")
    recall.add_argument("--no-write", action="store_true", help="leave docs/benchmarks.md alone")
    sweep = bsub.add_parser(
        "sweep", help="the forgetting curve's parameters, realtime LoCoMo recall for each"
    )
    sweep.add_argument("path", type=Path)
    sweep.add_argument("--limit-conversations", type=int, default=1, metavar="N")
    sweep.add_argument("--only", action="append", default=None, metavar="LABEL")
    sweep.add_argument("--json", action="store_true")
    sweep.add_argument("--no-write", action="store_true")
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
    scale.add_argument(
        "--dialogue",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="LoCoMo or MemoryBank JSON (read in place, repeatable): memories are its dialogue "
        "lines and queries its questions; without it, template sentences",
    )
    scale.add_argument(
        "--startup", action="store_true", help="also launch the real GUI on each filled store"
    )
    scale.add_argument(
        "--no-graph",
        action="store_true",
        help="fill without linking the memory graph (recall then finds no entity to walk from, "
        "so it times recall as at memory.graph_weight = 0; linking costs about half the fill "
        "time on template text)",
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
    transcript = bsub.add_parser(
        "transcript", help="open and scroll a long conversation in the real GUI"
    )
    transcript.add_argument("--messages", type=int, default=1000)
    transcript.add_argument("--reps", type=int, default=3)
    transcript.add_argument("--json", action="store_true")
    transcript.add_argument("--no-write", action="store_true")
    embedders = bsub.add_parser(
        "embedders", help="torch vs ONNX Runtime (fp32, int8) MiniLM: speed and LoCoMo R@10"
    )
    embedders.add_argument("path", type=Path)
    embedders.add_argument("--limit-conversations", type=int, default=2, metavar="N")
    embedders.add_argument("--texts", type=int, default=1000)
    embedders.add_argument("--json", action="store_true")
    embedders.add_argument("--no-write", action="store_true")
    _add_answers_parser(bsub)
    _add_consolidation_parser(bsub)
    _add_harness_parsers(bsub)


def _add_consolidation_parser(bsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    written = bsub.add_parser(
        "consolidation",
        help="what the daily job writes (facts, summaries), lived in time, against LoCoMo's gold",
    )
    written.add_argument("path", type=Path)
    written.add_argument("--limit-conversations", type=int, default=None, metavar="N")
    written.add_argument(
        "--facts",
        choices=["words", "model", "grammar", "none"],
        default=None,
        help="where facts come from beside the slot facts (default: the config's "
        "[scheduler] facts): words: each statement in the third person; model: the chat "
        "model's list; grammar: the same under a GBNF grammar; none: slot facts only",
    )
    written.add_argument(
        "--summaries",
        choices=["words", "model"],
        default=None,
        help="who writes the summaries (default: the config's [scheduler] summaries, auto: "
        "your words under a small local model)",
    )
    written.add_argument(
        "--compare-facts",
        action="store_true",
        help="score every fact source on each session's statements (no summaries; minutes, "
        "not an hour) instead of living the conversation",
    )
    written.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="a membank config.toml whose [llm] section picks the chat model (default: yours)",
    )
    written.add_argument("--json", action="store_true")
    written.add_argument("--no-write", action="store_true")


def _add_answers_parser(bsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    answers = bsub.add_parser(
        "answers", help="reply quality on a LoCoMo-shaped file, through the chat path"
    )
    answers.add_argument("path", type=Path)
    answers.add_argument("--limit", type=int, default=None, metavar="N", help="conversations")
    answers.add_argument(
        "--questions",
        type=int,
        default=None,
        metavar="N",
        help="per conversation, stratified by category 1-4 (default: all)",
    )
    answers.add_argument(
        "--styles",
        default="",
        help="also measure these prompt styles on the same questions (comma-separated: "
        "full, compact, plain); the app's own pick for the model always comes first",
    )
    answers.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="a membank config.toml whose [llm] section picks the chat model (default: yours)",
    )
    answers.add_argument("--json", action="store_true")
    answers.add_argument("--no-write", action="store_true")


def _add_harness_parsers(bsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    soak.add_argument(
        "--year",
        action="store_true",
        help="spread the turns over a simulated year on a moving clock; jobs run as scheduled",
    )
    soak.add_argument(
        "--real-every", type=int, default=50, help="with --year: every Nth model call is real"
    )
    soak.add_argument("--json", action="store_true")
    soak.add_argument("--no-write", action="store_true")

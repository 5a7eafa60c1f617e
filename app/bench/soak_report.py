"""The table and the RSS-over-time plot of `bench soak --year`."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.bench.plot import line_chart
from app.bench.soak import SoakResult
from app.bench.soak_year import DAYS, YearTrace, run_year

PLOT = "soak-year-rss.png"


def rss_band(trace: YearTrace) -> tuple[float, float]:
    """Lowest and highest RSS sampled after warm-up (the first tenth of the turns)."""
    if not trace.points:
        return (0.0, 0.0)
    warm = trace.points[-1][0] / 10
    after = [rss for turn, _, rss in trace.points if turn > warm] or [trace.points[-1][2]]
    return (min(after), max(after))


def markdown(result: SoakResult, trace: YearTrace, real_every: int, plot: str) -> str:
    low, high = rss_band(trace)
    jobs = ", ".join(f"{k} {v}" for k, v in trace.jobs.items() if "calls" not in k)
    rows = [
        ("chat turns", f"{result.turns} over {DAYS} simulated days"),
        (
            "model calls (chat replies and job steps)",
            f"{trace.jobs.get('model calls', 0)}, of which {trace.jobs.get('real model calls', 0)}"
            f" real SmolLM2 (every {real_every}th; replies of at most {result.max_tokens} "
            "tokens), the rest an instant echo",
        ),
        ("errors", str(len(result.errors))),
        ("job runs ok / failed", f"{result.jobs_ok} / {result.jobs_failed} ({jobs})"),
        ("skipped consolidation steps (bad model output, input kept)", str(result.failed_steps)),
        ("turns/s (wall clock)", f"{result.turns / result.seconds:.2f}" if result.seconds else "-"),
        ("RSS after warm-up -> end (MB)", f"{result.rss_start_mb:.0f} -> {result.rss_end_mb:.0f}"),
        ("RSS band after warm-up (MB)", f"{low:.0f} - {high:.0f}"),
        ("peak RSS (MB)", f"{result.peak_rss_mb:.0f}"),
        ("RSS at the end after malloc_trim(0) (MB)", f"{trace.rss_after_trim_mb:.0f}"),
        ("store size: SQLite + Chroma (MB)", f"{result.store_mb:.1f}"),
        ("memories at the end", str(result.memories)),
        ("consistency check at the end", "clean" if result.consistent else "PROBLEMS"),
    ]
    lines = ["| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    lines += [f"- error: {e}" for e in result.errors[:5]]
    lines += [
        "",
        f"![RSS over the simulated year]({plot})",
        "",
        f"RSS in MB (y) against turns (x), sampled every {_step(trace)} turns; the green band "
        "is the range after warm-up.",
    ]
    return "\n".join(lines)


def _step(trace: YearTrace) -> int:
    return trace.points[0][0] if trace.points else 0


def year_report(
    args: argparse.Namespace, docs: Path, say: Callable[[str], None]
) -> tuple[dict[str, Any], str]:
    result, trace = run_year(
        args.turns, real_every=args.real_every, max_tokens=args.max_tokens, progress=say
    )
    folder = Path(tempfile.gettempdir()) if args.no_write else docs
    if trace.points:
        xs = [float(t) for t, _, _ in trace.points]
        line_chart(
            folder / PLOT,
            xs,
            [r for _, _, r in trace.points],
            band=rss_band(trace),
            labels=("chat turns (a simulated year)", "RSS (MB)"),
        )
        say(f"plot: {folder / PLOT}")
    data = {
        "ok": not result.errors and result.consistent,
        **result.__dict__,
        "rss_band_mb": rss_band(trace),
        "trace": trace.points,
        "python_heap_mb": trace.python_heap,
        "rss_after_trim_mb": trace.rss_after_trim_mb,
        "jobs": trace.jobs,
    }
    return data, markdown(result, trace, args.real_every, PLOT)

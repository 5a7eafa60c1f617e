"""kill -9 at random moments (50 kills over chat, ingestion, consolidation, import and forget;
real SQLite, Chroma, MiniLM and SmolLM2), and a short soak with the jobs running throughout.
The big runs are `membank-cli bench crash` and `bench soak` (docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bench.crash import run_crash
from app.bench.soak import run_soak

# A lived week, season or crash series with the real model: minutes, not the default 5.
pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(1800)]

# Seconds after the worker is ready; shorter than the benchmark's, so 50 kills take ~3 minutes.
WINDOWS = {
    "chat": (0.0, 3.0),
    "ingest": (0.0, 1.5),
    "consolidate": (0.0, 5.0),
    "import": (0.0, 1.2),
    "forget": (0.0, 1.2),
}


def test_50_random_kills_lose_nothing_acknowledged_and_leave_a_consistent_store(
    tmp_path: Path,
) -> None:
    report = run_crash(50, tmp_path, seed=7, windows=WINDOWS)
    failures = [f for p in report.phases for f in p.failures]
    assert failures == []
    assert sum(p.runs for p in report.phases) == 50
    assert all(p.killed == p.runs == 10 for p in report.phases)  # each worker died mid-work
    acks = {p.phase: p.acks for p in report.phases}
    # Work was acknowledged before the kills, so the checks mean something. (A real 135M reply
    # can outlast the chat window on a busy machine: the chat phase may have none.)
    assert acks["ingest"] > 0 and acks["import"] > 0 and acks["forget"] > 0, acks


def test_a_short_soak_has_no_errors_and_runs_the_jobs() -> None:
    result = run_soak(20, job_interval=6.0, turns_per_conversation=5)
    assert result.errors == []
    assert result.jobs_ok >= 3 and result.jobs_failed == 0
    assert result.consistent
    assert result.memories >= 20  # a turn memory per turn, plus what consolidation made
    assert result.peak_rss_mb > 0 and result.store_mb > 0

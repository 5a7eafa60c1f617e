"""`membank-cli bench soak`: many chat turns through ChatService with the consolidation,
reflection and decay jobs running on a background scheduler throughout; errors, memory, size."""

from __future__ import annotations

import random
import resource
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from app.bootstrap import load_models, open_runtime
from app.config import BackupConfig, Config, LLMConfig, save_config
from app.jobs.daily import MemoryJobs
from memory.storage.consistency import check

SAYINGS = [
    "I had {food} for lunch today with my {person}.",
    "My {person} is visiting {city} next week.",
    "I started learning the {thing} again.",
    "Remind me that the {thing} lesson moved to {day}.",
    "What did I say about {city}?",
    "I'm tired, work at the {place} was long.",
    "We are planning a trip to {city} in {month}.",
]
FILL = {
    "food": ["ramen", "a salad", "pizza", "soup", "tacos"],
    "person": ["sister", "brother", "friend Sam", "neighbour", "mother"],
    "city": ["Lyon", "Berlin", "Osaka", "Lisbon", "Toronto"],
    "thing": ["cello", "piano", "guitar", "violin"],
    "day": ["Monday", "Wednesday", "Friday"],
    "place": ["office", "hospital", "school", "bakery"],
    "month": ["May", "June", "October"],
}


def _rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 1e6


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


@dataclass
class SoakResult:
    turns: int
    max_tokens: int
    job_interval: float
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    jobs_ok: int = 0
    jobs_failed: int = 0
    failed_steps: int = 0  # unusable model output, kept and skipped (not errors)
    rss_start_mb: float = 0.0  # after the first tenth of the turns (models loaded, warm)
    rss_end_mb: float = 0.0
    peak_rss_mb: float = 0.0
    store_mb: float = 0.0
    memories: int = 0
    consistent: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"ok": not self.errors and self.consistent, **self.__dict__}

    def markdown(self) -> str:
        rows = [
            ("chat turns", f"{self.turns} (replies of at most {self.max_tokens} tokens)"),
            ("errors", str(len(self.errors))),
            (
                "job runs ok / failed",
                f"{self.jobs_ok} / {self.jobs_failed} (consolidate, reflect, decay; each "
                f"cycle {self.job_interval:g} s after the last ended)",
            ),
            ("skipped consolidation steps (bad model output, input kept)", str(self.failed_steps)),
            ("turns/s", f"{self.turns / self.seconds:.2f}" if self.seconds else "-"),
            ("RSS after warm-up -> end (MB)", f"{self.rss_start_mb:.0f} -> {self.rss_end_mb:.0f}"),
            ("peak RSS (MB)", f"{self.peak_rss_mb:.0f}"),
            ("store size: SQLite + Chroma (MB)", f"{self.store_mb:.1f}"),
            ("memories at the end", str(self.memories)),
            ("consistency check at the end", "clean" if self.consistent else "PROBLEMS"),
        ]
        lines = ["| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
        lines += [f"- error: {e}" for e in self.errors[:5]]
        return "\n".join(lines)


def run_soak(
    turns: int,
    *,
    max_tokens: int = 16,
    job_interval: float = 30.0,
    turns_per_conversation: int = 8,
    seed: int = 0,
    progress: Callable[[str], None] = lambda _: None,
) -> SoakResult:
    rng = random.Random(seed)
    result = SoakResult(turns, max_tokens, job_interval)
    with tempfile.TemporaryDirectory(prefix="membank-soak-") as tmp:
        data = Path(tmp)
        save_config(
            data / "config.toml",
            Config(llm=LLMConfig(max_tokens=max_tokens), backup=BackupConfig(enabled=False)),
        )
        runtime = open_runtime(str(data))
        try:
            progress("Loading the models…")
            load_models(runtime)
            # Sessions count as idle after a few job intervals, so consolidation has work.
            jobs = MemoryJobs(
                runtime.host, runtime.archive, runtime.clock, timedelta(seconds=job_interval * 2)
            )
            scheduler = BackgroundScheduler(
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
            )
            lock = threading.Lock()

            def job(name: str) -> None:
                outcome = jobs.run(name)
                with lock:
                    if outcome.error:
                        result.jobs_failed += 1
                        result.errors.append(f"job {name}: {outcome.error}")
                    else:
                        result.jobs_ok += 1
                        result.failed_steps += outcome.counts.get("failed_steps", 0)

            stopping = threading.Event()

            def cycle() -> None:
                # One cycle after another, each `job_interval` after the last ended: the jobs
                # never queue up behind a slow one (and APScheduler never skips, or warns).
                for name in ("consolidate", "reflect", "decay"):
                    if not stopping.is_set():
                        job(name)
                if not stopping.is_set():
                    scheduler.add_job(
                        cycle, _after(job_interval), id="cycle", replace_existing=True
                    )

            scheduler.add_job(cycle, _after(job_interval), id="cycle")
            scheduler.start()
            _chat(runtime.chat, turns, turns_per_conversation, rng, result, progress)
            stopping.set()
            scheduler.shutdown(wait=True)
            result.seconds = result.seconds or 1e-9
            result.rss_end_mb = _rss_mb()
            result.peak_rss_mb = _peak_mb()
            bank = runtime.host.models.bank
            assert bank is not None
            result.consistent = check(runtime.store, bank.index).clean
            result.memories = runtime.store.count_memories()
            result.store_mb = (
                sum(
                    p.stat().st_size
                    for p in data.rglob("*")
                    if p.is_file() and "logs" not in p.parts
                )
                / 1e6
            )
        finally:
            runtime.close()
    return result


def _after(seconds: float) -> DateTrigger:
    return DateTrigger(run_date=datetime.now(UTC) + timedelta(seconds=seconds))


def _chat(
    service: Any,
    turns: int,
    per_conversation: int,
    rng: random.Random,
    result: SoakResult,
    progress: Callable[[str], None],
) -> None:
    started = time.monotonic()
    conversation = service.new_conversation()
    for n in range(turns):
        if n and n % per_conversation == 0:
            conversation = service.new_conversation()
        text = rng.choice(SAYINGS).format(**{k: rng.choice(v) for k, v in FILL.items()})
        try:
            list(service.send(conversation.id, text, cancel=threading.Event()))
        except Exception as exc:  # noqa: BLE001 - counted: a soak must see zero
            result.errors.append(f"turn {n}: {type(exc).__name__}: {exc}")
        if n + 1 == max(1, turns // 10):
            result.rss_start_mb = _rss_mb()
        if (n + 1) % 100 == 0:
            progress(f"{n + 1}/{turns} turns, RSS {_rss_mb():.0f} MB")
    result.seconds = time.monotonic() - started

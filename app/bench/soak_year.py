"""`bench soak --year`: many chat turns spread over a simulated year on a moving clock, the jobs
run when the scheduler would have run them, most replies instant and every Nth one real.

The send path is the app's (`ChatService.send`: store the turn, recall, assemble the
prompt, stream, store the reply); only the chat model's answer is replaced by an instant echo,
except on every `real_every`-th call (chat and jobs alike), which goes to the real SmolLM2."""

from __future__ import annotations

import ctypes
import gc
import os
import random
import resource
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from app.bench.soak import FILL, SAYINGS, SoakResult
from app.bootstrap import load_embedder, load_llm, open_bank, open_runtime
from app.config import BackupConfig, Config, LLMConfig, save_config
from app.jobs.daily import MemoryJobs
from app.jobs.scheduler import last_due
from memory.clock import ManualClock
from memory.storage.consistency import check
from models.protocols import LLM, ChatMessage

START = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
DAYS = 365


def _rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 1e6


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


class MostlyInstantLLM:
    """The real model on every `every`-th call, an instant echo of the last message otherwise."""

    def __init__(self, real: LLM, every: int) -> None:
        self.real = real
        self.every = max(1, every)
        self.model_id = real.model_id
        self.calls = 0
        self.real_calls = 0

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        cancel: Any = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        repeat_penalty: float | None = None,
        grammar: str | None = None,
    ) -> Iterator[str]:
        self.calls += 1
        if self.calls % self.every == 0:
            self.real_calls += 1
            yield from self.real.stream_chat(
                messages, cancel=cancel, max_tokens=max_tokens, temperature=temperature
            )
            return
        last = str(messages[-1].get("content", "")) if messages else ""
        yield (last.strip().splitlines() or ["Noted."])[0][:200]

    def complete_json(self, messages: Sequence[ChatMessage], schema: Any) -> Any:
        return self.real.complete_json(messages, schema)

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    @property
    def context_size(self) -> int:
        return self.real.context_size

    def close(self) -> None:
        self.real.close()


@dataclass
class YearTrace:
    """RSS (MB) after every `every` turns, with the simulated day."""

    points: list[tuple[int, float, float]] = field(default_factory=list)  # turn, day, RSS
    jobs: dict[str, int] = field(default_factory=dict)
    python_heap: list[float] = field(default_factory=list)  # tracemalloc MB, when traced
    rss_after_trim_mb: float = 0.0  # after glibc malloc_trim(0): what the allocator held


def malloc_trim() -> bool:
    """Hand freed heap pages back to the OS (glibc only); False where there is no glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    libc.malloc_trim(0)
    return True


def run_year(
    turns: int,
    *,
    real_every: int = 50,
    max_tokens: int = 16,
    per_conversation: int = 8,
    sample_every: int = 50,
    seed: int = 0,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[SoakResult, YearTrace]:
    """`turns` turns over 365 simulated days, sessions of `per_conversation` turns two minutes
    apart; after each session the clock jumps past the idle time (consolidate, decay), and
    each crossing of the daily time runs `daily` as the CronTrigger would."""
    rng = random.Random(seed)
    result = SoakResult(turns, max_tokens, 0.0)
    trace = YearTrace()
    sessions = max(1, turns // per_conversation)
    gap = timedelta(days=DAYS) / sessions
    with tempfile.TemporaryDirectory(prefix="membank-year-") as tmp:
        data = Path(tmp)
        save_config(
            data / "config.toml",
            Config(llm=LLMConfig(max_tokens=max_tokens), backup=BackupConfig(enabled=False)),
        )
        runtime = open_runtime(str(data), now=START)
        clock = ManualClock(START)
        # Every service holds the runtime's one clock: make that one move only when told.
        runtime.clock.now = clock.now  # type: ignore[method-assign]
        try:
            progress("Loading the models…")
            bank = open_bank(runtime, load_embedder(runtime.config))
            bank.reconcile(quick=True)
            llm = MostlyInstantLLM(load_llm(runtime.config), real_every)
            runtime.host.attach(bank, llm)  # closing the wrapper closes the real model
            config = runtime.config.scheduler
            jobs = MemoryJobs(
                runtime.host, runtime.archive, runtime.clock, timedelta(minutes=config.idle_minutes)
            )
            if os.environ.get("MEMBANK_SOAK_TRACEMALLOC"):
                tracemalloc.start()  # Python's own allocations, to tell them from native ones
            started = time.monotonic()
            session_start = START
            last_daily = START
            n = 0
            for session in range(sessions):
                conversation = runtime.chat.new_conversation()
                for _ in range(per_conversation):
                    if n >= turns:
                        break
                    text = rng.choice(SAYINGS).format(**{k: rng.choice(v) for k, v in FILL.items()})
                    try:
                        list(runtime.chat.send(conversation.id, text, cancel=threading.Event()))
                    except Exception as exc:  # noqa: BLE001 - counted: a soak must see zero
                        result.errors.append(f"turn {n}: {type(exc).__name__}: {exc}")
                    n += 1
                    clock.advance(minutes=2)
                    if n % sample_every == 0:
                        day = (clock.now() - START).total_seconds() / 86400
                        trace.points.append((n, round(day, 2), round(_rss_mb(), 1)))
                        if tracemalloc.is_tracing():
                            trace.python_heap.append(tracemalloc.get_traced_memory()[0] / 1e6)
                    if n == max(1, turns // 10):
                        result.rss_start_mb = _rss_mb()
                # Idle after the session: the interval trigger consolidates, decay runs hourly.
                session_start += gap
                clock.advance(minutes=config.idle_minutes + 1)
                _job(jobs, "consolidate", result, trace)
                _job(jobs, "decay", result, trace)
                due = last_due(clock.now(), config.daily_at)
                if due > last_daily:
                    last_daily = due
                    _job(jobs, "daily", result, trace)
                clock.set(max(clock.now(), session_start))
                if (session + 1) % max(1, sessions // 20) == 0:
                    progress(
                        f"{n}/{turns} turns, day {(clock.now() - START).days}, "
                        f"RSS {_rss_mb():.0f} MB, {llm.real_calls} real replies"
                    )
            result.seconds = time.monotonic() - started or 1e-9
            gc.collect()
            result.rss_end_mb = _rss_mb()
            result.peak_rss_mb = _peak_mb()
            if malloc_trim():
                trace.rss_after_trim_mb = round(_rss_mb(), 1)
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
            trace.jobs["real model calls"] = llm.real_calls
            trace.jobs["model calls"] = llm.calls
        finally:
            runtime.close()
    return result, trace


def _job(jobs: MemoryJobs, name: str, result: SoakResult, trace: YearTrace) -> None:
    outcome = jobs.run(name)
    trace.jobs[name] = trace.jobs.get(name, 0) + 1
    if outcome.error:
        result.jobs_failed += 1
        result.errors.append(f"job {name}: {outcome.error}")
    else:
        result.jobs_ok += 1
        result.failed_steps += outcome.counts.get("failed_steps", 0)

"""What `bench scale` times besides recall, each with its own peak RSS: the decay sweep, the
memory browser's first page, the consistency check, start-up heal (reopen and reconcile),
export, and the real GUI's start-up on the filled folder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import psutil

T = TypeVar("T")
BROWSER_PAGE = 500  # rows the memory browser asks for at a time


@dataclass(frozen=True)
class OpResult:
    name: str
    seconds: float
    peak_rss_mb: float  # the process's highest RSS while this operation ran
    note: str = ""


class RssSampler:
    """Samples this process's RSS every `interval` s on a thread; `peak_mb` is the highest."""

    def __init__(self, interval: float = 0.02) -> None:
        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def peak_mb(self) -> float:
        return float(self.peak) / 1e6


@contextmanager
def measured(name: str, out: list[OpResult], note: Callable[[], str] = str) -> Iterator[None]:
    """Time the block and its peak RSS; appended to `out` with `note()` once it ends."""
    with RssSampler() as rss:
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
    out.append(OpResult(name, round(seconds, 3), round(rss.peak_mb, 1), note()))


def timed(name: str, out: list[OpResult], work: Callable[[], T], note: str = "") -> T:
    with RssSampler() as rss:
        started = time.perf_counter()
        value = work()
        seconds = time.perf_counter() - started
    out.append(OpResult(name, round(seconds, 3), round(rss.peak_mb, 1), note))
    return value


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def browser_page(store: object, decay: object, now: datetime) -> int:
    """What the memory browser does for its first page: newest rows, with their retention."""
    from memory.lifecycle.decay import DecayPolicy
    from memory.storage.store import SQLiteStore

    assert isinstance(store, SQLiteStore) and isinstance(decay, DecayPolicy)
    rows = store.memories(limit=BROWSER_PAGE)
    retentions = [decay.retention(m, now) for m in rows]
    store.count_memories()  # the browser's "n memories" line
    return len(retentions)


def gui_startup(data_dir: Path) -> dict[str, float]:
    """One launch of the real GUI on the filled folder (the bench's runtime closed first)."""
    from app.bench.startup import launch_once

    return launch_once(data_dir=data_dir)


def ops_markdown(size: int, ops: list[OpResult], disk: dict[str, float]) -> list[str]:
    lines = [
        "",
        f"Operations at {size:,} memories (peak RSS = the process's highest RSS during that "
        "operation, sampled every 20 ms):",
        "",
        "| operation | time | peak RSS | note |",
        "|---|---|---|---|",
    ]
    for op in ops:
        when = f"{op.seconds * 1000:.0f} ms" if op.seconds < 10 else f"{op.seconds:.1f} s"
        rss = f"{op.peak_rss_mb:.0f} MB" if op.peak_rss_mb else "-"
        lines.append(f"| {op.name} | {when} | {rss} | {op.note} |")
    lines.append("")
    lines.append("Disk: " + ", ".join(f"{name} {mb:,.0f} MB" for name, mb in disk.items()) + ".")
    return lines

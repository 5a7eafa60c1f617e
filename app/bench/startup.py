"""`membank-cli bench startup`: launch to visible window, and to models ready, of the real GUI.

Each repetition spawns `python -m ui --data-dir FRESH_TMP` (offscreen Qt, its own settings
folder) with MEMBANK_STARTUP_PROBE=exit: the app prints monotonic timestamps when its window is
shown and when the models are loaded (ui/shell/startup_probe.py), then quits.
Times are measured from
just before the spawn, so they include the Python interpreter and every import.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.bench.chat import load_average, load_note
from app.bench.recall import percentile

EVENTS = ("window_shown", "models_ready")


class StartupBenchError(RuntimeError):
    pass


@dataclass
class StartupResult:
    reps: int
    cores: int
    times: dict[str, list[float]] = field(default_factory=lambda: {e: [] for e in EVENTS})
    load: tuple[float, float] = (0.0, 0.0)

    def as_json(self) -> dict[str, Any]:
        return {"reps": self.reps, "cores": self.cores, "ms": self.times, "load_average": self.load}

    def markdown(self) -> str:
        names = {
            "window_shown": "launch to visible window",
            "models_ready": "launch to models ready (first token can be asked)",
        }
        lines = [
            f"{self.reps} launches of the real GUI (offscreen Qt), each on a fresh data folder, "
            f"{self.cores} CPU cores, bundled models.",
            load_note(self.load),
            "",
            "| measure | median ms | p95 ms | min ms | max ms |",
            "|---|---|---|---|---|",
        ]
        for event in EVENTS:
            ms = self.times[event]
            lines.append(
                f"| {names[event]} | {statistics.median(ms):.0f} | {percentile(ms, 95):.0f} "
                f"| {min(ms):.0f} | {max(ms):.0f} |"
            )
        window = statistics.median(self.times["window_shown"])
        lines += [
            "",
            f"- window visible after **{window:.0f} ms** median (target <= 2000 ms on 2 cores, "
            f"models loading after: {'met' if window <= 2000 else 'not met'})",
        ]
        return "\n".join(lines)


def launch_once(timeout: float = 300.0, data_dir: Path | None = None) -> dict[str, float]:
    """One launch (on a fresh data folder, or on `data_dir`); ms from spawn to each event."""
    with tempfile.TemporaryDirectory(prefix="membank-startup-") as tmp:
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM="offscreen",
            MEMBANK_STARTUP_PROBE="exit",
            XDG_CONFIG_HOME=str(Path(tmp) / "xdg-config"),  # QSettings: no saved geometry
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
        )
        env.pop("MEMBANK_HOME", None)
        data = data_dir or Path(tmp) / "data"
        args = [sys.executable, "-m", "ui", "--data-dir", str(data)]
        start = time.monotonic()
        marks, stderr, code = _watch(args, env, start, timeout)
    missing = [e for e in EVENTS if e not in marks]
    if missing:
        tail = "\n".join(stderr[-15:])
        raise StartupBenchError(f"membank exited ({code}) without reporting {missing}:\n{tail}")
    return marks


def _watch(
    args: list[str], env: dict[str, str], start: float, timeout: float
) -> tuple[dict[str, float], list[str], int | None]:
    """Read the probe's lines as they come; once every event is in, the app is stopped (it
    would otherwise first finish a catch-up job, e.g. a daily run over a big imported store)."""
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    marks: dict[str, float] = {}
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip())
            parts = line.split()
            if len(parts) == 3 and parts[0] == "membank-startup":
                marks[parts[1]] = (float(parts[2]) - start) * 1000
                if all(e in marks for e in EVENTS):
                    break
    finally:
        timer.cancel()
        _stop(proc)
        if proc.stderr is not None:
            proc.stderr.close()  # else a ResourceWarning when the pipe is collected
    return marks, lines, proc.returncode


def _stop(proc: subprocess.Popen[str]) -> None:
    """Let it quit on its own (the probe asks it to), else SIGTERM, else SIGKILL."""
    for signal in (None, proc.terminate, proc.kill):
        if signal is not None:
            signal()
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def run_startup(reps: int = 5, progress: Callable[[str], None] = lambda _: None) -> StartupResult:
    result = StartupResult(reps, os.cpu_count() or 1)
    start_load = load_average()
    for rep in range(1, reps + 1):
        marks = launch_once()
        for event in EVENTS:
            result.times[event].append(round(marks[event], 1))
        progress(
            f"launch {rep}/{reps}: window {marks['window_shown']:.0f} ms, "
            f"models {marks['models_ready']:.0f} ms"
        )
    result.load = (start_load, load_average())
    return result

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


# --- a long conversation: open and scroll (`membank-cli bench transcript`) -------------------

TRANSCRIPT_EVENTS = (
    "open_ms",  # click to cards on screen, the default view (the last page of messages)
    "scroll_p50_ms",  # one scroll step's repaint, default view
    "scroll_p95_ms",
    "open_all_ms",  # every message rendered at once (what paging avoids)
    "scroll_all_p50_ms",
    "scroll_all_p95_ms",
)
_REPLY = (
    "Here is what I found:\n\n- first point about {i}\n- second point\n\n"
    "```python\ndef f_{i}(x):\n    return x * {i}\n```\n\n| a | b |\n|---|---|\n| {i} | 2 |"
)


@dataclass
class TranscriptResult:
    messages: int
    reps: int
    cores: int
    ms: dict[str, list[float]] = field(default_factory=lambda: {e: [] for e in TRANSCRIPT_EVENTS})
    load: tuple[float, float] = (0.0, 0.0)

    def as_json(self) -> dict[str, Any]:
        return {"messages": self.messages, "reps": self.reps, "ms": self.ms, "load": self.load}

    def markdown(self) -> str:
        med = {e: statistics.median(v) for e, v in self.ms.items()}
        lines = [
            f"One conversation of {self.messages} messages (every other one a reply with a list, "
            f"a code block and a table), opened in the real GUI (offscreen Qt) {self.reps} times, "
            f"{self.cores} CPU cores. Scroll: the time to repaint the view after each of 60 steps "
            "from the bottom to the top.",
            load_note(self.load),
            "",
            "| view | open ms (median) | scroll step p50 ms | scroll step p95 ms |",
            "|---|---|---|---|",
            f"| default: the last page of messages, 'Show earlier' above | {med['open_ms']:.0f} "
            f"| {med['scroll_p50_ms']:.1f} | {med['scroll_p95_ms']:.1f} |",
            f"| all {self.messages} messages rendered | {med['open_all_ms']:.0f} "
            f"| {med['scroll_all_p50_ms']:.1f} | {med['scroll_all_p95_ms']:.1f} |",
            "",
            f"- opens in **{med['open_ms']:.0f} ms** (target <= 1000 ms: "
            f"{'met' if med['open_ms'] <= 1000 else 'not met'}); a scroll step repaints in "
            f"{med['scroll_p95_ms']:.1f} ms p95 (a 60 Hz frame is 16.7 ms)",
        ]
        return "\n".join(lines)


def fill_conversation(data_dir: Path, messages: int) -> None:
    from datetime import timedelta

    from app.bootstrap import open_runtime
    from app.config import Config, SchedulerConfig, save_config

    data_dir.mkdir(parents=True, exist_ok=True)
    # No background jobs: a catch-up consolidation of the long chat would share the cores.
    save_config(data_dir / "config.toml", Config(scheduler=SchedulerConfig(enabled=False)))
    runtime = open_runtime(str(data_dir))
    try:
        chat = runtime.chat.new_conversation("A long conversation")
        now = runtime.clock.now() - timedelta(minutes=messages)
        for i in range(messages):
            role = "user" if i % 2 == 0 else "assistant"
            text = f"Question {i}: what about item {i}?" if role == "user" else _REPLY.format(i=i)
            runtime.store.add_message(chat.id, role, text, now + timedelta(minutes=i))
    finally:
        runtime.close()


def run_transcript(
    messages: int = 1000, reps: int = 3, progress: Callable[[str], None] = lambda _: None
) -> TranscriptResult:
    result = TranscriptResult(messages, reps, os.cpu_count() or 1)
    start_load = load_average()
    with tempfile.TemporaryDirectory(prefix="membank-transcript-") as tmp:
        data = Path(tmp) / "data"
        fill_conversation(data, messages)
        for rep in range(1, reps + 1):
            env = dict(os.environ)
            env.update(
                QT_QPA_PLATFORM="offscreen",
                MEMBANK_STARTUP_PROBE="transcript",
                XDG_CONFIG_HOME=str(Path(tmp) / "xdg-config"),
                HF_HUB_OFFLINE="1",
                TRANSFORMERS_OFFLINE="1",
            )
            env.pop("MEMBANK_HOME", None)
            args = [sys.executable, "-m", "ui", "--data-dir", str(data)]
            proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
            marks = {
                p[1]: float(p[2])
                for line in proc.stderr.splitlines()
                if len(p := line.split()) == 3 and p[0] == "membank-transcript"
            }
            missing = [e for e in TRANSCRIPT_EVENTS if e not in marks]
            if missing:
                tail = "\n".join(proc.stderr.splitlines()[-15:])
                raise StartupBenchError(f"no {missing} from the GUI ({proc.returncode}):\n{tail}")
            for event in TRANSCRIPT_EVENTS:
                result.ms[event].append(round(marks[event], 2))
            progress(f"run {rep}/{reps}: open {marks['open_ms']:.0f} ms")
    result.load = (start_load, load_average())
    return result

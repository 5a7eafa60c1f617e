"""`membank-cli bench crash`: kill -9 at random moments during chat ingestion, consolidation,
archive import and forget; after each kill restart, check everything, count the failures."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Seconds after the worker is ready (store, index and model open) at which it is killed: a
# uniform random pick in this range. Timed from "ready", not from the fork, so a busy machine
# (slow start-ups) still kills mid-work. One run in STARTUP_EVERY is instead killed during its
# start-up (which writes too: reconcile), at a random moment in its first second.
PHASES: dict[str, tuple[float, float]] = {
    "chat": (0.0, 8.0),
    "ingest": (0.0, 3.0),
    "consolidate": (0.0, 15.0),
    "import": (0.0, 2.0),
    "forget": (0.0, 2.0),
}
STARTUP_EVERY = 8


@dataclass
class PhaseResult:
    phase: str
    runs: int = 0
    killed: int = 0  # runs in which the worker was still working when SIGKILL came
    startup_kills: int = 0  # of those, killed while starting up (before "ready")
    acks: int = 0  # acknowledged calls checked after the last run
    failures: list[str] = field(default_factory=list)


@dataclass
class CrashReport:
    phases: list[PhaseResult]
    seconds: float
    windows: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(PHASES))

    @property
    def failures(self) -> int:
        return sum(len(p.failures) for p in self.phases)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.failures == 0,
            "seconds": round(self.seconds, 1),
            "phases": [p.__dict__ for p in self.phases],
        }

    def markdown(self) -> str:
        lines = [
            "| phase | kill at (s after ready) | runs | killed mid-work (of them in start-up) "
            "| acknowledged calls checked | failures |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for p in self.phases:
            lo, hi = self.windows[p.phase]
            lines.append(
                f"| {p.phase} | {lo}–{hi} | {p.runs} | {p.killed} ({p.startup_kills}) | {p.acks} "
                f"| {len(p.failures)} |"
            )
        total = sum(p.runs for p in self.phases)
        lines.append(
            f"\n{total} kills in {self.seconds:.0f} s. After each kill: restart (open the "
            "store, reconcile the vectors, mark cut-off jobs), full consistency check, and "
            "every acknowledged call present exactly once (forgotten notes: absent)."
        )
        for p in self.phases:
            lines += [f"- {p.phase}: {f}" for f in p.failures[:5]]
        return "\n".join(lines)


class Zygote:
    """The worker process (app.bench.crash_child), with torch and MiniLM loaded once."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.bench.crash_child"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.live: int | None = None  # the forked child not yet reported exited
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.receive(timeout=600)  # {"ready": true}

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put("")

    def receive(self, timeout: float = 600) -> dict[str, Any]:
        line = self._lines.get(timeout=timeout)
        if not line:
            raise RuntimeError("the crash worker process died")
        return json.loads(line)  # type: ignore[no-any-return]

    def send(self, **request: Any) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        self.live = int(self.receive()["pid"])
        return self.live

    def close(self) -> None:
        if self.live is not None:  # stopped early (an error, Ctrl+C): end our worker
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.live, signal.SIGKILL)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _tail(log: Path) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return text.strip().splitlines()[-1] if text.strip() else "(no output)"


def run_crash(
    runs: int,
    workdir: Path | None = None,
    seed: int = 0,
    phases: tuple[str, ...] = tuple(PHASES),
    windows: dict[str, tuple[float, float]] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> CrashReport:
    rng = random.Random(seed)
    windows = {**PHASES, **(windows or {})}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="membank-crash-") as tmp:
        root = workdir or Path(tmp)
        results = {p: PhaseResult(p) for p in phases}
        progress("Starting the worker (loads torch and MiniLM once)…")
        zygote = Zygote()
        try:
            for phase in phases:
                from app.bench.crash_child import setup_data_dir

                setup_data_dir(root / phase / "data")
            if "import" in phases:
                _wait(
                    zygote,
                    zygote.send(
                        op="prepare",
                        folder=str(root / "import" / "archives"),
                        log=str(root / "prepare.log"),
                    ),
                )
            for n in range(runs):
                phase = phases[n % len(phases)]
                window = windows[phase]
                _one_run(zygote, root / phase, phase, n, rng.uniform(*window), results[phase])
                if (n + 1) % 10 == 0:
                    progress(f"{n + 1}/{runs} kills")
        finally:
            zygote.close()
    return CrashReport(list(results.values()), time.monotonic() - started, dict(windows))


def _wait_ready(acks: Path, n: int, pid: int, timeout: float = 300) -> None:
    marker = f'"kind": "ready", "run": {n},'
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if acks.exists() and marker in acks.read_text():
            return
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return  # died on its own: reported as a failure by the caller
        time.sleep(0.05)


def _wait(zygote: Zygote, pid: int) -> int:
    reply = zygote.receive()
    assert reply["exited"] == pid
    zygote.live = None
    return int(reply["status"])


def _one_run(
    zygote: Zygote, folder: Path, phase: str, n: int, delay: float, result: PhaseResult
) -> None:
    data, acks, log = folder / "data", folder / "acks.jsonl", folder / f"run-{n}.log"
    pid = zygote.send(op="work", phase=phase, data=str(data), acks=str(acks), seed=n, log=str(log))
    if (n // len(PHASES)) % STARTUP_EVERY == STARTUP_EVERY - 1:
        time.sleep(delay / max(PHASES[phase][1], 1.0))  # somewhere in the first second
        result.startup_kills += 1
    else:
        _wait_ready(acks, n, pid)
        time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    status = _wait(zygote, pid)
    result.runs += 1
    if status == -signal.SIGKILL:
        result.killed += 1
    else:
        result.failures.append(f"run {n}: the worker stopped by itself ({_tail(log)})")
    out = folder / f"verify-{n}.json"
    status = _wait(
        zygote, zygote.send(op="verify", data=str(data), acks=str(acks), out=str(out), log=str(log))
    )
    if status != 0 or not out.exists():
        result.failures.append(f"run {n}: the restart failed ({_tail(log)})")
        return
    verdict = json.loads(out.read_text())
    result.acks = verdict["acks"]
    result.failures += [f"run {n}: {f}" for f in verdict["failures"]]
    if status == 0 and verdict["clean"]:
        log.unlink(missing_ok=True)

"""The memory jobs (consolidate, daily, reflect, decay): run one at a time, every run recorded."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from app.config import Config
from app.engine.host import ModelHost
from app.engine.prompt_style import summaries_for
from app.services.archive import ArchiveService
from app.transfer.backups import backup_now
from memory.bank import MemoryBank
from memory.clock import Clock
from memory.consolidation.consolidator import ConsolidationSettings, Consolidator
from memory.consolidation.hierarchy import HierarchyStore
from memory.consolidation.reflection import Reflector
from memory.consolidation.session_facts import Report
from memory.errors import JobStopped
from memory.lifecycle.fading import sweep
from models.errors import MembankError
from models.protocols import LLM

log = logging.getLogger(__name__)
JOB_NAMES = ("consolidate", "daily", "reflect", "decay", "backup")


@dataclass(frozen=True)
class JobResult:
    job: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: tuple[str, ...] = ()
    error: str | None = None

    def outcome(self) -> str:
        """One line for a status bar: how the run ended."""
        if self.error:
            return f"Consolidation stopped: {self.error}"
        made = [
            f"{self.counts[key]} {label}"
            for key, label in (
                ("session_summaries", "summaries"),
                ("slot_facts", "facts from your words"),
                ("facts_added", "facts"),
                ("facts_superseded", "updated"),
            )
            if self.counts.get(key)
        ]
        done = "Consolidated: " + (", ".join(made) if made else "nothing new")
        skipped = self.counts.get("failed_steps", 0)
        if skipped:
            done += f" ({skipped} model steps skipped; your own words kept instead)"
        return done + "."


class MemoryJobs:
    """Each run holds a lease on the models: a swap meanwhile waits to close what it uses."""

    def __init__(
        self, host: ModelHost, archive: ArchiveService, clock: Clock, idle: timedelta
    ) -> None:
        self.host = host
        self.archive = archive
        self.store = archive.store
        self.clock = clock
        self.idle = idle
        self._lock = threading.Lock()  # a job never overlaps another (scheduler vs "now")
        self._stop = threading.Event()

    def stop(self) -> None:
        """Quitting: a running job stops at its next step (what it committed stays), and no
        new one starts."""
        self._stop.set()

    def run(self, job: str) -> JobResult:
        """Run `job` and record it; never raises (a scheduler thread must not die)."""
        if job not in JOB_NAMES:
            raise ValueError(f"unknown job {job!r}; one of {', '.join(JOB_NAMES)}")
        with self._lock:
            if self._stop.is_set():
                return JobResult(job, error=str(JobStopped()))
            hierarchy = HierarchyStore(self.store)
            started = self.clock.now()
            run_id = hierarchy.start_job(job, started)
            try:
                report = self._run(job)
            except JobStopped as exc:
                log.info("job %s %s", job, exc)
                hierarchy.finish_job(run_id, self.clock.now(), {}, str(exc), interrupted=True)
                return JobResult(job, error=str(exc))
            except Exception as exc:  # noqa: BLE001 - recorded and reported, input kept
                log.exception("job %s failed", job)
                error = f"{type(exc).__name__}: {exc}"
                hierarchy.finish_job(run_id, self.clock.now(), {}, error)
                return JobResult(job, error=error)
            hierarchy.finish_job(run_id, self.clock.now(), report.counts)
            return JobResult(job, report.counts, tuple(report.failures))

    def _run(self, job: str) -> Report:
        with self.host.lease() as models:
            if models.bank is None or models.llm is None:
                raise RuntimeError("the models are not loaded yet")
            return self._run_with(job, models.bank, models.llm, models.config)

    def _run_with(self, job: str, bank: MemoryBank, llm: LLM, config: Config) -> Report:
        now = self.clock.now()
        report = Report()
        if job == "backup":
            backup_now(self.archive, config.backup.keep)
            report.add("backups", 1)
            return report
        if job == "daily" and config.backup.enabled:
            # First, so a consolidation failure never costs the day's backup, and a failed
            # backup (a full disk) is recorded without stopping the consolidation.
            try:
                backup_now(self.archive, config.backup.keep)
                report.add("backups", 1)
            except MembankError as exc:
                log.warning("the daily backup failed: %s", exc)
                report.failures.append(f"backup: {exc}")
        settings = ConsolidationSettings(
            idle=self.idle, facts=config.scheduler.facts, summaries=summaries_for(config)
        )
        consolidator = Consolidator(bank, llm, settings, should_stop=self._stop.is_set)
        if job == "consolidate":
            return consolidator.run(now)
        if job == "reflect":
            return Reflector(bank, llm).run(now)
        if job == "daily":
            consolidated = consolidator.run(now, include_active=True)
            report.failures.extend(consolidated.failures)
            for key, n in consolidated.counts.items():
                report.add(key, n)
            if config.scheduler.reflection:
                for key, n in Reflector(bank, llm).run(now).counts.items():
                    report.add(key, n)
        report.add("faded", sweep(self.store, bank.decay, now))
        return report

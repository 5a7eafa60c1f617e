"""The memory jobs (consolidate, daily, reflect, decay): run one at a time, every run recorded."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from app.service import AssistantService
from app.transfer.backups import backup_now
from memory.consolidation.consolidator import ConsolidationSettings, Consolidator, Report
from memory.consolidation.hierarchy import HierarchyStore
from memory.consolidation.reflection import Reflector
from memory.lifecycle.fading import sweep
from models.errors import MembankError

log = logging.getLogger(__name__)
JOB_NAMES = ("consolidate", "daily", "reflect", "decay", "backup")


@dataclass(frozen=True)
class JobResult:
    job: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: tuple[str, ...] = ()
    error: str | None = None


class MemoryJobs:
    def __init__(self, service: AssistantService, idle: timedelta) -> None:
        self.service = service
        self.idle = idle
        self._lock = threading.Lock()  # a job never overlaps another (scheduler vs "now")

    def run(self, job: str) -> JobResult:
        """Run `job` and record it; never raises (a scheduler thread must not die)."""
        if job not in JOB_NAMES:
            raise ValueError(f"unknown job {job!r}; one of {', '.join(JOB_NAMES)}")
        with self._lock:
            service = self.service
            hierarchy = HierarchyStore(service.store)
            started = service.clock.now()
            run_id = hierarchy.start_job(job, started)
            try:
                report = self._run(job)
            except Exception as exc:  # noqa: BLE001 - recorded and reported, input kept
                log.exception("job %s failed", job)
                error = f"{type(exc).__name__}: {exc}"
                hierarchy.finish_job(run_id, service.clock.now(), {}, error)
                return JobResult(job, error=error)
            hierarchy.finish_job(run_id, service.clock.now(), report.counts)
            return JobResult(job, report.counts, tuple(report.failures))

    def _run(self, job: str) -> Report:
        service = self.service
        bank, llm = service.bank, service.llm
        if bank is None or llm is None:
            raise RuntimeError("the models are not loaded yet")
        now = service.clock.now()
        report = Report()
        if job == "backup":
            backup_now(service, service.config.backup.keep)
            report.add("backups", 1)
            return report
        if job == "daily" and service.config.backup.enabled:
            # First, so a consolidation failure never costs the day's backup, and a failed
            # backup (a full disk) is recorded without stopping the consolidation.
            try:
                backup_now(service, service.config.backup.keep)
                report.add("backups", 1)
            except MembankError as exc:
                log.warning("the daily backup failed: %s", exc)
                report.failures.append(f"backup: {exc}")
        consolidator = Consolidator(bank, llm, ConsolidationSettings(idle=self.idle))
        if job == "consolidate":
            return consolidator.run(now)
        if job == "reflect":
            return Reflector(bank, llm).run(now)
        if job == "daily":
            consolidated = consolidator.run(now, include_active=True)
            report.failures.extend(consolidated.failures)
            for key, n in consolidated.counts.items():
                report.add(key, n)
            if service.config.scheduler.reflection:
                for key, n in Reflector(bank, llm).run(now).counts.items():
                    report.add(key, n)
        report.add("faded", sweep(service.store, bank.decay, now))
        return report

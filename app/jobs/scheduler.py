"""APScheduler in the background: consolidation when idle, a daily run, decay; catch-up runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.config import SchedulerConfig
from app.jobs.daily import JobResult, MemoryJobs
from memory.clock import Clock
from memory.consolidation.hierarchy import HierarchyStore

log = logging.getLogger(__name__)


def last_due(now: datetime, daily_at: str) -> datetime:
    """The most recent time at or before `now` when the daily job was due."""
    hour, minute = (int(p) for p in daily_at.split(":"))
    due = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return due if due <= now else due - timedelta(days=1)


class MemoryScheduler:
    def __init__(self, jobs: MemoryJobs, config: SchedulerConfig, clock: Clock) -> None:
        self.jobs = jobs
        self.config = config
        self.clock = clock
        self._scheduler: BackgroundScheduler | None = None
        self._catch_up: threading.Thread | None = None

    def missed(self) -> list[str]:
        """Jobs that should have run while membank was closed or the machine slept."""
        hierarchy = HierarchyStore(self.jobs.store)
        last = hierarchy.last_success("daily")
        due = last_due(self.clock.now(), self.config.daily_at)
        return ["daily"] if last is None or last < due else []

    def start(self) -> None:
        hour, minute = (int(p) for p in self.config.daily_at.split(":"))
        scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )
        every = max(1, self.config.idle_minutes // 2)
        scheduler.add_job(
            self.jobs.run, IntervalTrigger(minutes=every), args=["consolidate"], id="consolidate"
        )
        scheduler.add_job(
            self.jobs.run, CronTrigger(hour=hour, minute=minute), args=["daily"], id="daily"
        )
        scheduler.add_job(self.jobs.run, IntervalTrigger(hours=1), args=["decay"], id="decay")
        scheduler.start()
        self._scheduler = scheduler
        missed = self.missed()
        if missed:
            # On a thread of its own, not as a one-off APScheduler job: removing a finished
            # one-off job raced with start-up once (JobLookupError in the scheduler's thread).
            # MemoryJobs.run serialises it with the scheduled jobs.
            self._catch_up = threading.Thread(
                target=self._run_missed, args=(missed,), name="membank-catch-up", daemon=True
            )
            self._catch_up.start()

    def _run_missed(self, jobs: list[str]) -> None:
        for job in jobs:
            log.info("running missed job %s", job)
            self.jobs.run(job)

    def run_now(self, job: str, on_done: Callable[[JobResult], None] | None = None) -> None:
        """Queue `job` to run at once on the scheduler's thread (e.g. "Consolidate now");
        `on_done` is called there with its result (the window's status bar follows it)."""
        if self._scheduler is None:
            raise RuntimeError("the scheduler is not running")

        def run() -> None:
            result = self.jobs.run(job)
            if on_done is not None:
                on_done(result)

        self._scheduler.add_job(run)

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def shutdown(self) -> None:
        self.jobs.stop()  # a long catch-up stops at its next step instead of holding up quitting
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._scheduler = None
        if self._catch_up is not None:
            self._catch_up.join()
            self._catch_up = None

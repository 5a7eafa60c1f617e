"""Memory jobs (every run recorded, failures contained) and the scheduler's catch-up logic."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.config import Config, SchedulerConfig
from app.jobs.daily import JOB_NAMES, JobResult, MemoryJobs
from app.jobs.scheduler import MemoryScheduler, last_due
from memory.bank import MemoryBank
from memory.clock import ManualClock
from memory.consolidation.consolidator import Consolidator
from memory.consolidation.hierarchy import HierarchyStore
from memory.records import Kind, State
from memory.storage.store import SQLiteStore
from tests.conftest import ExpectWarnings
from tests.unit.fakes import T0, StepLLM, make_bank
from tests.unit.wiring import Services, make_services

IDLE = timedelta(minutes=30)
TURNS = ("I live in Paris.", "My cat is called Miso.", "I am allergic to peanuts.")


# These tests stop and resume the model's steps: the model writes the summaries here, as it does
# under a larger GGUF (the bundled one's summaries are the user's own words: no step to stop in).
MODEL_WRITES = Config(scheduler=SchedulerConfig(summaries="model"))


@dataclass
class World:
    service: Services
    jobs: MemoryJobs
    bank: MemoryBank
    llm: StepLLM
    clock: ManualClock
    hierarchy: HierarchyStore

    def chat(self, *texts: str) -> None:
        conversation = self.service.chat.new_conversation()
        for text in texts:
            list(self.service.chat.send(conversation.id, text, cancel=threading.Event()))
            self.clock.advance(minutes=1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = ManualClock(T0)
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    llm = StepLLM()
    service = make_services(MODEL_WRITES, store, clock)
    service.host.attach(bank, llm)
    yield World(
        service,
        MemoryJobs(service.host, service.archive, service.clock, IDLE),
        bank,
        llm,
        clock,
        HierarchyStore(store),
    )
    bank.close()
    store.close()


def test_daily_consolidates_everything_and_records_the_run(world: World) -> None:
    world.chat(*TURNS)  # the last turn was a minute ago: daily does not wait for idle

    result = world.jobs.run("daily")

    assert result.error is None
    assert result.failures == ()
    assert result.counts["session_summaries"] == 1
    assert result.counts.get("facts_added", 0) + result.counts.get("slot_facts", 0) == 3
    assert result.counts["daily_summaries"] == 1
    # Insights that only restate one memory are dropped, so the count depends on the input.
    assert result.counts["reflections"] >= 1
    assert result.counts["faded"] == 0
    assert result.counts["backups"] == 1  # the rolling backup goes first
    (run,) = world.hierarchy.job_runs("daily")
    assert (run.job, run.status, run.error) == ("daily", "ok", None)
    assert run.counts == result.counts
    assert run.started_at == world.clock.now()
    assert run.finished_at == world.clock.now()
    assert len(world.hierarchy.of_kind(Kind.FACT)) == 3
    assert len(world.hierarchy.of_kind(Kind.REFLECTION)) == result.counts["reflections"]
    assert world.hierarchy.last_success("daily") == world.clock.now()


def test_consolidate_waits_for_an_idle_session(world: World) -> None:
    world.chat(*TURNS)
    assert "session_summaries" not in world.jobs.run("consolidate").counts
    world.clock.advance(minutes=31)
    assert world.jobs.run("consolidate").counts["session_summaries"] == 1
    assert [r.status for r in world.hierarchy.job_runs("consolidate")] == ["ok", "ok"]


def test_decay_job_fades_old_memories_once_consolidated(world: World) -> None:
    world.chat("hello there, how are you")  # small talk: S = 1 day, fades after about 3
    world.clock.advance(days=4)  # R = 0.02, within the 5-day hold
    # Nothing holds what it said yet (no summary): it waits for consolidation.
    assert world.jobs.run("decay").counts == {"faded": 0}
    # The daily run consolidates first (the session summary now holds it), then sweeps.
    assert world.jobs.run("daily").counts["faded"] == 1
    states = {m.kind: m.state for m in world.service.curation.memories()}
    assert states[Kind.TURN] is State.FADED
    assert states[Kind.SESSION_SUMMARY] is State.ACTIVE


def test_a_failing_job_is_recorded_and_does_not_raise(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    expect_warnings: ExpectWarnings,
) -> None:
    world.chat(*TURNS)

    def boom(self: Consolidator, now: datetime, *, include_active: bool = False) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Consolidator, "run", boom)
    with expect_warnings("job daily failed", logger="app.jobs.daily"):
        result = world.jobs.run("daily")

    assert result == JobResult("daily", error="RuntimeError: disk on fire")
    assert "job daily failed" in caplog.text
    (run,) = world.hierarchy.job_runs("daily")
    assert (run.status, run.error, run.counts) == ("failed", "RuntimeError: disk on fire", {})
    assert run.finished_at is not None
    assert world.hierarchy.last_success("daily") is None
    # The input is kept for the next run.
    assert len(world.hierarchy.of_kind(Kind.TURN)) == 3
    monkeypatch.undo()
    assert world.jobs.run("daily").error is None
    assert [r.status for r in world.hierarchy.job_runs("daily")] == ["ok", "failed"]


def test_jobs_before_the_models_are_loaded_fail_cleanly(
    tmp_path: Path, expect_warnings: ExpectWarnings
) -> None:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    try:
        service = make_services(Config(), store, ManualClock(T0))
        jobs = MemoryJobs(service.host, service.archive, service.clock, IDLE)
        with expect_warnings("job consolidate failed", logger="app.jobs.daily"):
            result = jobs.run("consolidate")
        assert result.error == "RuntimeError: the models are not loaded yet"
        assert HierarchyStore(store).job_runs()[0].status == "failed"
    finally:
        store.close()


def test_an_unknown_job_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="unknown job 'tidy'"):
        world.jobs.run("tidy")
    assert world.hierarchy.job_runs() == []
    assert set(JOB_NAMES) == {"consolidate", "daily", "reflect", "decay", "backup"}


# --- scheduler ---------------------------------------------------------------------------------


def test_last_due_is_the_latest_daily_time_not_after_now() -> None:
    assert last_due(T0, "03:00") == T0.replace(hour=3, minute=0)  # 09:30 -> 03:00 today
    assert last_due(T0, "09:30") == T0
    assert last_due(T0, "22:15") == T0.replace(hour=22, minute=15) - timedelta(days=1)


def test_missed_daily_runs(world: World) -> None:
    scheduler = MemoryScheduler(world.jobs, SchedulerConfig(daily_at="03:00"), world.clock)
    assert scheduler.missed() == ["daily"]  # never ran

    assert world.jobs.run("daily").error is None  # at 09:30, after today's 03:00
    assert scheduler.missed() == []

    world.clock.set(T0.replace(hour=2, minute=59) + timedelta(days=1))
    assert scheduler.missed() == []  # the next one is not due yet
    world.clock.set(T0.replace(hour=3, minute=0) + timedelta(days=1))
    assert scheduler.missed() == ["daily"]

    # The machine slept for two days: one catch-up run is enough.
    world.clock.advance(days=2)
    assert scheduler.missed() == ["daily"]
    world.jobs.run("daily")
    assert scheduler.missed() == []


def test_a_failed_daily_run_is_still_missed(
    world: World, monkeypatch: pytest.MonkeyPatch, expect_warnings: ExpectWarnings
) -> None:
    scheduler = MemoryScheduler(world.jobs, SchedulerConfig(daily_at="03:00"), world.clock)

    def boom(self: Consolidator, now: datetime, *, include_active: bool = False) -> None:
        raise RuntimeError("no")

    monkeypatch.setattr(Consolidator, "run", boom)
    with expect_warnings("job daily failed", logger="app.jobs.daily"):
        world.jobs.run("daily")
    assert scheduler.missed() == ["daily"]


def test_start_runs_a_missed_daily_job_in_the_background(world: World) -> None:
    world.chat(*TURNS)
    scheduler = MemoryScheduler(world.jobs, SchedulerConfig(daily_at="03:00"), world.clock)
    assert scheduler.missed() == ["daily"]
    scheduler.start()
    try:
        assert scheduler.running
        deadline = time.monotonic() + 20
        while not [r for r in world.hierarchy.job_runs("daily") if r.status == "ok"]:
            assert time.monotonic() < deadline, "the catch-up run did not happen"
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert not scheduler.running
    (run,) = world.hierarchy.job_runs("daily")
    assert run.counts["session_summaries"] == 1
    assert scheduler.missed() == []
    assert len(world.hierarchy.of_kind(Kind.FACT)) == 3


def test_run_now_needs_a_running_scheduler(world: World) -> None:
    scheduler = MemoryScheduler(world.jobs, SchedulerConfig(), world.clock)
    with pytest.raises(RuntimeError, match="not running"):
        scheduler.run_now("consolidate")


def test_quitting_stops_a_long_catch_up_between_sessions_and_the_next_start_carries_on(
    world: World,
) -> None:
    for topic in ("Paris", "the cello", "my sister Ana"):
        world.chat(f"I talked about {topic} today.")
    scheduler = MemoryScheduler(world.jobs, SchedulerConfig(daily_at="03:00"), world.clock)
    real = world.llm.stream_chat

    def quit_during_the_first_summary(*args: Any, **kwargs: Any) -> Iterator[str]:
        yield from real(*args, **kwargs)
        if world.llm.steps[-1] == "session":
            world.jobs.stop()  # what MemoryScheduler.shutdown does first

    world.llm.stream_chat = quit_during_the_first_summary  # type: ignore[method-assign]
    result = world.jobs.run("daily")
    assert result.error is not None and "next run carries on" in result.error
    assert [r.status for r in world.hierarchy.job_runs("daily")] == ["interrupted"]
    assert len(world.hierarchy.of_kind(Kind.SESSION_SUMMARY)) == 1  # committed, kept
    assert world.bank.store.unindexed() == []  # and indexed before stopping: recall has it
    assert world.jobs.run("consolidate").error is not None  # no new job once stopping
    assert scheduler.missed() == ["daily"]

    world.llm.stream_chat = real  # type: ignore[method-assign]
    restarted = MemoryJobs(world.service.host, world.service.archive, world.clock, IDLE)
    assert restarted.run("daily").error is None
    summaries = world.hierarchy.of_kind(Kind.SESSION_SUMMARY)
    assert len(summaries) == 3 and len({s.derive_key for s in summaries}) == 3
    assert MemoryScheduler(restarted, SchedulerConfig(daily_at="03:00"), world.clock).missed() == []

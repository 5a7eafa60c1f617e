"""Consolidation with the real bundled model, Chroma and SQLite: what a day of talk turns into."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from app.bootstrap import Runtime
from memory.consolidation.hierarchy import HierarchyStore
from memory.records import Kind, State
from tests.realmodels import ready_runtime

# A lived week, season or crash series with the real model: minutes, not the default 5.
pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(1800)]

DAY1 = datetime.fromisoformat("2026-11-02T09:00:00+00:00")
DAY1_EVENING = datetime.fromisoformat("2026-11-02T21:00:00+00:00")
DAY2 = datetime.fromisoformat("2026-11-03T10:00:00+00:00")
DAY2_EVENING = datetime.fromisoformat("2026-11-03T21:00:00+00:00")


def say(runtime: Runtime, conversation_id: int, *texts: str) -> None:
    """The user's side of a chat, stored exactly as send() stores it (no reply needed here)."""
    assert runtime.host.models.bank is not None
    for text in texts:
        now = runtime.clock.now()
        message = runtime.store.add_message(conversation_id, "user", text, now)
        runtime.host.models.bank.remember(
            Kind.TURN, text, now, conversation_id=conversation_id, source_message_ids=[message.id]
        )


def _running_jobs(database: Path) -> int:
    """Job runs ever started and left 'running' or 'interrupted' (read while the CLI works)."""
    with sqlite3.connect(database, timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM job_runs WHERE status IN ('running', 'interrupted')"
        ).fetchone()
    return int(row[0])


def snapshot(runtime: Runtime) -> list[tuple[str, str, str]]:
    rows = runtime.store.rows("SELECT id, kind, text FROM memories ORDER BY num")
    return [(r["id"], r["kind"], r["text"]) for r in rows]


def test_a_day_becomes_summaries_facts_and_persona_linked_to_sources(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ready_runtime(data, DAY1) as runtime:
        chat = runtime.chat.new_conversation()
        say(
            runtime,
            chat.id,
            "I live in Paris and work as a nurse at the city hospital.",
            "My cat is called Miso.",
            "I am allergic to peanuts, so eating out is tricky.",
        )
    with ready_runtime(data, DAY1_EVENING) as runtime:
        result = runtime.jobs().run("daily")
        assert result.error is None
        h = HierarchyStore(runtime.store)
        turns = {m.id for m in h.of_kind(Kind.TURN)}
        [session] = h.of_kind(Kind.SESSION_SUMMARY)
        assert set(h.sources(session.id)) == turns
        assert session.event_time.date() == DAY1.date()
        [daily] = h.of_kind(Kind.DAILY_SUMMARY)
        assert h.sources(daily.id) == [session.id]
        facts = h.of_kind(Kind.FACT)
        assert facts, result.failures
        assert all(set(h.sources(f.id)) <= turns and h.sources(f.id) for f in facts)
        assert any(w in f.text for f in facts for w in ("Paris", "nurse", "Miso", "peanut"))
        overview = runtime.curation.overview()
        assert overview.summary is not None and h.sources(overview.summary.id) == [daily.id]
        for memory in [session, daily, *facts, overview.summary]:
            assert memory.created_at == DAY1_EVENING.astimezone() or memory.created_at
            assert memory.event_time.date() == DAY1.date()  # when it happened, not when written

        # A second run adds nothing.
        before = snapshot(runtime)
        again = runtime.jobs().run("daily")
        assert again.error is None and snapshot(runtime) == before
        assert "session_summaries" not in again.counts


def test_a_newer_fact_supersedes_the_old_one_in_recall(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ready_runtime(data, DAY1) as runtime:
        say(runtime, runtime.chat.new_conversation().id, "I live in Paris.")
    with ready_runtime(data, DAY1_EVENING) as runtime:
        assert runtime.jobs().run("daily").error is None
        paris = [f for f in HierarchyStore(runtime.store).of_kind(Kind.FACT) if "Paris" in f.text]
        assert paris, "the model should extract the Paris fact"
    with ready_runtime(data, DAY2) as runtime:
        say(runtime, runtime.chat.new_conversation().id, "Big news: I moved to Berlin!")
    with ready_runtime(data, DAY2_EVENING) as runtime:
        result = runtime.jobs().run("daily")
        assert result.counts.get("facts_superseded", 0) >= 1, result
        old = runtime.curation.memory(paris[0].id)
        assert old.state is State.SUPERSEDED and old.superseded_by is not None
        new = runtime.curation.memory(old.superseded_by)
        assert "Berlin" in new.text
        assert any(link.relation == "supersedes" for link in runtime.curation.links(old.id))
        found = runtime.curation.search("Where do I live?")
        ids = [r.memory.id for r in found]
        assert old.id not in ids  # history keeps it, recall does not
        assert new.id in ids
        # The update comes before anything that still says Paris.
        texts = [r.memory.text for r in found]
        first_paris = next(i for i, t in enumerate(texts) if "Paris" in t)
        assert ids.index(new.id) < first_paris


def test_killed_mid_consolidation_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ready_runtime(data, DAY1) as runtime:
        for topic in ("I live in Paris.", "My cat is called Miso.", "I play the cello."):
            say(runtime, runtime.chat.new_conversation().id, topic, "It has been a good week.")
        turns_before = snapshot(runtime)
    env = {**os.environ, "MEMBANK_NOW": DAY1_EVENING.isoformat()}
    cmd = [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), "consolidate"]
    killed = 0
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Wait until the job is really running (recorded in SQLite), then kill it a little later.
        deadline = time.monotonic() + 180
        while proc.poll() is None and time.monotonic() < deadline:
            if _running_jobs(data / "membank.sqlite3") > killed:
                break
            time.sleep(0.1)
        # Own-words summaries made a run a few seconds long: kill within its first 1.5 s.
        time.sleep(rng.uniform(0.1, 1.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate(timeout=60)
    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    assert killed >= 1, "no run was interrupted: the delays need to be shorter here"
    with ready_runtime(data, DAY1_EVENING) as runtime:
        after = snapshot(runtime)
        assert [t for t in after if t[1] == "turn"] == turns_before  # every turn kept
        keys = runtime.store.rows(
            "SELECT derive_key, count(*) AS n FROM memories WHERE derive_key IS NOT NULL "
            "GROUP BY derive_key HAVING n > 1"
        )
        assert keys == []
        assert len({m.text for m in HierarchyStore(runtime.store).of_kind(Kind.FACT)}) == len(
            HierarchyStore(runtime.store).of_kind(Kind.FACT)
        )
        assert len(HierarchyStore(runtime.store).of_kind(Kind.SESSION_SUMMARY)) == 3
        report = runtime.curation.index_report()
        assert report.consistent and report.indexed == len(after)
        statuses = [r.status for r in HierarchyStore(runtime.store).job_runs("daily")]
        # partial: a model step fell back to the user's words
        assert statuses[0] in ("ok", "partial") and "interrupted" in statuses
        # And one more run finds nothing left to do.
        assert "session_summaries" not in runtime.jobs().run("daily").counts

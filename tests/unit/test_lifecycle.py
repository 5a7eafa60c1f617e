"""Memory that lasts: notes feed consolidation, the spacing effect, the schema 7 (curve) upgrade."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from memory.bank import MemoryBank
from memory.consolidation.consolidator import Consolidator
from memory.consolidation.hierarchy import HierarchyStore
from memory.lifecycle.decay import DecayPolicy
from memory.recall.cued import lead_to_sources
from memory.records import Kind, Recalled, State
from memory.storage.schema import MIGRATIONS, SCHEMA_VERSION
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, StepLLM, make_bank, say


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[MemoryBank]:
    b = make_bank(tmp_path)
    yield b
    b.close()
    b.store.close()


def test_spacing_effect_recall_after_a_long_gap_gains_more() -> None:
    decay = DecayPolicy()
    s = 10.0
    at_once = decay.after_recall(s, 1.0)  # recalled twice in a minute: nothing gained
    after_a_day = decay.after_recall(s, math.exp(-1 / s))
    nearly_gone = decay.after_recall(s, math.exp(-30 / s))
    assert at_once == pytest.approx(s)
    assert s < after_a_day < nearly_gone
    assert nearly_gone > 1.5 * s
    # Already-stable memories gain proportionally less at the same retention.
    r = math.exp(-1)
    assert decay.after_recall(100.0, r) / 100.0 < decay.after_recall(2.0, r) / 2.0


def test_notes_feed_summaries_facts_and_persona(bank: MemoryBank) -> None:
    note = bank.remember(Kind.NOTE, "My cat is called Miso.", T0)
    conversation = bank.store.create_conversation("Chat", T0)
    say(bank, conversation.id, "I live in Lisbon.", T0 + timedelta(minutes=1))
    report = Consolidator(bank, StepLLM()).run(T0 + timedelta(hours=2))
    assert report.failures == []
    hierarchy = HierarchyStore(bank.store)
    notes_summary = hierarchy.by_key(f"session_summary:notes:{T0.date()}")
    assert notes_summary is not None and "Miso" in notes_summary.text
    assert hierarchy.sources(notes_summary.id) == [note.id]
    # Derived memories start at least as strong as their sources (the note: a year).
    assert notes_summary.strength >= note.strength == 365.0
    facts = {f.text: f for f in hierarchy.of_kind(Kind.FACT)}
    assert "The user's cat is called Miso." in facts
    assert note.id in hierarchy.sources(facts["The user's cat is called Miso."].id)
    daily = hierarchy.by_key(f"daily_summary:{T0.date()}")
    assert daily is not None and note.id in hierarchy.sources(daily.id)
    persona = hierarchy.by_key(f"daily_persona:{T0.date()}")
    assert persona is not None and note.id in hierarchy.sources(persona.id)

    # A second run adds nothing; a new note that day makes the notes session (and day) new.
    again = Consolidator(bank, StepLLM()).run(T0 + timedelta(hours=3))
    assert "session_summaries" not in again.counts
    bank.remember(Kind.NOTE, "My sister Ana is a pilot.", T0 + timedelta(hours=4))
    third = Consolidator(bank, StepLLM()).run(T0 + timedelta(hours=6))
    assert third.counts["session_summaries"] == 1 and third.counts["daily_summaries"] == 1
    assert notes_summary.id == hierarchy.by_key(f"session_summary:notes:{T0.date()}").id  # type: ignore[union-attr]


def test_a_store_from_before_the_curve_schema_7_is_migrated_and_its_strengths_recomputed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "membank.sqlite3"
    conn = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:4]):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number + 1};\nCOMMIT;")
    old = T0.isoformat(timespec="seconds")
    recalled = (T0 + timedelta(days=5)).isoformat(timespec="seconds")
    rows = [
        ("note1", "note", "The spare key is under the blue pot", 3.0, "faded", None),
        ("turn1", "turn", "ok thanks", 1.0, "faded", None),
        ("turn2", "turn", "I work as a nurse in Lisbon", 2.0, "active", recalled),
    ]
    for mid, kind, text, strength, state, last in rows:
        conn.execute(
            "INSERT INTO memories (id, kind, text, created_at, event_time, updated_at, strength,"
            " state, last_recalled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [mid, kind, text, old, old, old, strength, state, last],
        )
    conn.execute(
        "INSERT INTO recall_events (memory_id, at, strength_after) VALUES ('turn2', ?, 3.0)",
        [recalled],
    )
    conn.commit()
    conn.close()

    store = SQLiteStore(path)
    assert store.rows("PRAGMA user_version")[0]["user_version"] == SCHEMA_VERSION >= 7
    bank = make_bank(tmp_path, store=store)
    try:
        decay = bank.decay
        note, small_talk, nurse = (store.memory(m) for m in ("note1", "turn1", "turn2"))
        assert note.strength == 365.0 and note.state is State.ACTIVE  # un-faded: a year now
        assert small_talk.strength == 1.0 and small_talk.state is State.ACTIVE  # sweep decides
        expected = decay.after_recall(5.0, math.exp(-5 / 5.0))  # replayed recall at day 5
        assert nurse.strength == pytest.approx(expected)
        assert store.recall_events("turn2")[0][1] == pytest.approx(expected)
        assert store.rows("SELECT count(*) AS n FROM memories WHERE curve < 2")[0]["n"] == 0
        # New rows are on the new curve from the start; a second bank upgrades nothing.
        added = bank.remember(Kind.TURN, "hello", T0)
        assert store.rows("SELECT curve FROM memories WHERE id = ?", [added.id])[0]["curve"] == 2
    finally:
        bank.close()
        store.close()


def test_a_recalled_summary_leads_to_the_turns_it_came_from(bank: MemoryBank) -> None:
    conversation = bank.store.create_conversation("Chat", T0)
    say(bank, conversation.id, "I adopted a grey tabby kitten called Miso.", T0)
    say(bank, conversation.id, "The weather was lovely and sunny.", T0 + timedelta(minutes=1))
    Consolidator(bank, StepLLM()).run(T0 + timedelta(hours=2))
    hierarchy = HierarchyStore(bank.store)
    (summary,) = hierarchy.of_kind(Kind.SESSION_SUMMARY)
    turns = {m.text: m for m in hierarchy.of_kind(Kind.TURN)}
    kitten = turns["I adopted a grey tabby kitten called Miso."]
    later = T0 + timedelta(days=60)
    with bank.store.transaction() as db:  # both turns long faded; the summary still active
        db.execute("UPDATE memories SET state = 'faded' WHERE kind = 'turn'")
        # No fact stands for the kitten message (memory/recall/statements.py): the summary leads.
        db.execute("UPDATE memories SET state = 'superseded' WHERE kind = 'fact'")
    found = [r.memory.id for r in bank.recall("adopted tabby kitten Miso weather", later, k=10)]
    # A summary of that session (the session's and the day's say the same here, and near-
    # duplicates collapse to the better-ranked one) ...
    of_it = {
        m.id for kind in (Kind.SESSION_SUMMARY, Kind.DAILY_SUMMARY) for m in hierarchy.of_kind(kind)
    }
    assert of_it & set(found)
    # Its best-matching source turn, faded as it is, by its own score (the summary's times
    # its similarity, or its own if higher) ...
    assert kitten.id in found

    # A led turn takes the place its own score gives it, not the first places after its parent.
    weather = turns["The weather was lovely and sunny."]
    vectors = {kitten.id: np.array([0.6, 0.8]), weather.id: np.array([0.1, 0.99])}

    class Index:
        def vectors(self, ids: list[str]) -> dict[str, npt.NDArray[np.float64]]:
            return {i: vectors[i] for i in ids}

    other = hierarchy.of_kind(Kind.DAILY_SUMMARY)[0]
    ranked = [Recalled(summary, 1.0, 0.7, 1.0), Recalled(other, 0.7, 0.6, 1.0)]
    led = lead_to_sources(
        bank.store, Index(), bank.decay, np.array([1.0, 0.0]), ranked, later,
        top=3, k=10, min_similarity=0.35,
    )  # fmt: skip
    assert [(r.memory.id, round(r.score, 2)) for r in led] == [
        (summary.id, 1.0),
        (other.id, 0.7),
        (kitten.id, 0.6),  # 1.0 x 0.6; the weather turn is too far (0.1)
    ]


def test_an_old_period_stays_reachable_through_its_faded_summary(bank: MemoryBank) -> None:
    conversation = bank.store.create_conversation("Chat", T0)
    say(bank, conversation.id, "We hiked up the volcano on Tenerife.", T0)
    Consolidator(bank, StepLLM()).run(T0 + timedelta(hours=2))
    later = T0 + timedelta(days=400)
    with bank.store.transaction() as db:  # a year on: everything of that day has faded
        db.execute(
            "UPDATE memories SET state = 'faded' WHERE kind != 'global_summary' "
            "AND kind != 'global_persona'"
        )
    daily = HierarchyStore(bank.store).by_key(f"daily_summary:{T0.date()}")
    assert daily is not None
    (session,) = HierarchyStore(bank.store).of_kind(Kind.SESSION_SUMMARY, active_only=False)
    found = bank.recall(f"What did I do on {T0:%d %B %Y}?", later, k=10)
    # The day is reached through a summary of it: the day's, or its one session's (the same
    # words; which one the date cue revives depends on what else that day left, here a fact).
    assert {daily.id, session.id} & {r.memory.id for r in found}

"""The decay sweep and restore: faded memories leave recall, nothing is deleted."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory.bank import MemoryBank
from memory.clock import ManualClock
from memory.consolidation.hierarchy import Commit, Derived, HierarchyStore
from memory.lifecycle.decay import NEVER_FADE, DecayPolicy
from memory.lifecycle.fading import restore, sweep
from memory.records import Kind, State
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, make_bank

PLAIN = "hello there, how are you"  # a turn with no significance cues: S = 1


@dataclass
class World:
    bank: MemoryBank
    clock: ManualClock
    decay: DecayPolicy


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    decay = DecayPolicy()
    bank = make_bank(tmp_path, decay=decay)
    yield World(bank, ManualClock(T0), decay)
    bank.close()
    bank.store.close()


def test_initial_strength_by_kind_and_significance() -> None:
    decay = DecayPolicy()
    # S in days: what the user asked to keep and what is about them lasts; small talk fades.
    assert decay.initial(Kind.NOTE, "buy milk") == 365.0
    assert decay.initial(Kind.FACT, "The user lives in Paris.") == 180.0
    assert decay.initial(Kind.DAILY_PERSONA, "") == 90.0
    assert decay.initial(Kind.TURN, "I live in Paris with my cat") == 5.0
    assert decay.initial(Kind.TURN, "My birthday is on the 3rd of June") == 5.0
    assert decay.initial(Kind.TURN, "Next appointment at 10 tomorrow") == 5.0
    assert decay.initial(Kind.TURN, PLAIN) == 1.0
    assert decay.initial(Kind.TURN, "my cat") == 1.0  # too short to count as significant
    assert DecayPolicy(initial_strength=2.0).initial(Kind.NOTE, "buy milk") == 730.0
    assert DecayPolicy(initial_strength=2.0).initial(Kind.TURN, PLAIN) == 2.0


def test_overviews_never_fade() -> None:
    assert {Kind.GLOBAL_SUMMARY, Kind.GLOBAL_PERSONA} == NEVER_FADE


def hold(store: SQLiteStore, memory_id: str, now: datetime) -> str:
    """A session summary made from `memory_id`: something longer-lasting now holds it."""
    summary = Derived(Kind.SESSION_SUMMARY, "The user said hello.", f"s:{memory_id}", now, 45.0)
    summary = replace(summary, sources=(memory_id,))
    HierarchyStore(store).commit(now, Commit(items=[summary]))
    return summary.id


def test_sweep_fades_only_what_fell_below_the_threshold(world: World) -> None:
    plain = world.bank.remember(Kind.TURN, PLAIN, T0)
    note = world.bank.remember(Kind.NOTE, "The spare key is under the blue pot", T0)
    pinned = world.bank.remember(Kind.TURN, "see you later then, bye bye", T0)
    HierarchyStore(world.bank.store).set_flag(pinned.id, "pinned", True)
    overview = world.bank.store.add_memory(
        Kind.GLOBAL_SUMMARY, "The user talked about keys.", T0, strength=1.0
    )
    persona = world.bank.store.add_memory(
        Kind.GLOBAL_PERSONA, "The user likes short answers.", T0, strength=1.0
    )
    hold(world.bank.store, plain.id, T0)
    assert plain.strength == 1.0

    world.clock.advance(days=2)  # R = exp(-2) = 0.14: still there
    assert sweep(world.bank.store, world.decay, world.clock.now()) == 0

    world.clock.advance(days=2)  # R = exp(-4) = 0.02 < 0.05
    now = world.clock.now()
    assert world.decay.retention(world.bank.store.memory(plain.id), now) == pytest.approx(
        math.exp(-4)
    )
    assert sweep(world.bank.store, world.decay, now) == 1

    store = world.bank.store
    assert store.memory(plain.id).state is State.FADED
    assert store.memory(note.id).state is State.ACTIVE  # S = 365
    assert store.memory(pinned.id).state is State.ACTIVE
    assert store.memory(overview.id).state is State.ACTIVE
    assert store.memory(persona.id).state is State.ACTIVE
    assert store.count_memories() == 6  # faded, not deleted
    # A second sweep finds nothing more to do.
    assert sweep(store, world.decay, now) == 0


def test_a_turn_waits_for_consolidation_before_it_fades(world: World) -> None:
    plain = world.bank.remember(Kind.TURN, PLAIN, T0)
    store = world.bank.store
    week = T0 + timedelta(days=4)  # R = 0.02: due to fade, but nothing holds what it said
    assert sweep(store, world.decay, week) == 0
    assert store.memory(plain.id).state is State.ACTIVE
    summary = hold(store, plain.id, week)
    assert sweep(store, world.decay, week) == 1  # now it may fade

    # A held turn whose summary itself faded is no longer held; past hold_days it fades anyway.
    other = world.bank.remember(Kind.TURN, "ok fine see you", T0)
    assert sweep(store, world.decay, T0 + timedelta(days=world.decay.hold_days - 1)) == 0
    assert sweep(store, world.decay, T0 + timedelta(days=world.decay.hold_days + 1)) == 1
    assert store.memory(other.id).state is State.FADED
    assert store.memory(summary).state is State.ACTIVE


def test_a_faded_memory_needs_a_strong_cue(world: World) -> None:
    plain = world.bank.remember(Kind.TURN, PLAIN, T0)
    hold(world.bank.store, plain.id, T0)
    world.clock.advance(days=8)
    assert sweep(world.bank.store, world.decay, world.clock.now()) == 1
    now = world.clock.now()
    # A loose association no longer finds it ...
    assert plain.id not in {r.memory.id for r in world.bank.recall("are you there", now)}
    # ... the same words do (cued recall), and using it revives it.
    (found,) = [r for r in world.bank.recall(PLAIN, now) if r.memory.id == plain.id]
    world.bank.strengthen([found], now, None)
    back = world.bank.store.memory(plain.id)
    assert back.state is State.ACTIVE and back.last_recalled_at == now
    assert back.strength > 1.5 * plain.strength  # nearly forgotten: a large spacing gain


def test_sweep_in_batches_fades_them_all(world: World) -> None:
    for i in range(7):
        world.bank.store.add_memory(Kind.TURN, f"plain turn number {i}", T0)
    later = T0 + timedelta(days=world.decay.hold_days + 1)
    assert sweep(world.bank.store, world.decay, later, batch=3) == 7
    states = {m.state for m in world.bank.store.memories()}
    assert states == {State.FADED}


def test_restore_brings_a_faded_memory_back_with_a_fresh_clock(world: World) -> None:
    plain = world.bank.remember(Kind.TURN, PLAIN, T0)
    hold(world.bank.store, plain.id, T0)
    world.clock.advance(days=8)
    sweep(world.bank.store, world.decay, world.clock.now())
    world.clock.advance(hours=1)
    now = world.clock.now()

    restore(world.bank.store, plain.id, now)

    back = world.bank.store.memory(plain.id)
    assert back.state is State.ACTIVE
    assert back.last_recalled_at == now
    assert back.strength == plain.strength
    assert world.decay.retention(back, now) == pytest.approx(1.0)
    assert sweep(world.bank.store, world.decay, now) == 0
    assert plain.id in {r.memory.id for r in world.bank.recall(PLAIN, now)}


def test_fading_is_recorded_in_the_audit_log_once(world: World) -> None:
    from memory.storage import audit

    memory = world.bank.remember(Kind.TURN, PLAIN, T0)
    later = T0 + timedelta(days=world.decay.hold_days + 1)
    assert sweep(world.bank.store, world.decay, later) == 1
    assert sweep(world.bank.store, world.decay, later) == 0  # already faded: no second entry
    faded = [e for e in audit.entries(world.bank.store) if e.event == "faded"]
    assert [(e.actor, e.memory_id) for e in faded] == [("decay", memory.id)]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.01, 400.0),  # S in days
            st.floats(0.0, 1200.0),  # age in days at the sweep
            st.booleans(),  # recalled once, half-way through
        ),
        min_size=1,
        max_size=30,
    )
)
def test_sweep_fades_exactly_what_the_curve_says(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[float, float, bool]]
) -> None:
    """SQLite picks the candidates; none the curve says has faded may be missed, none kept."""
    decay = DecayPolicy(hold_days=0)  # nothing waits for consolidation: the curve alone
    bank = make_bank(tmp_path_factory.mktemp("sweep"), decay=decay)
    store = bank.store
    now = T0 + timedelta(days=1300)
    try:
        ids = []
        for strength, age, recalled in rows:
            created = now - timedelta(days=age)
            memory = store.add_memory(Kind.TURN, PLAIN, created, strength=strength)
            if recalled:
                HierarchyStore(store).set_state(
                    memory.id, State.ACTIVE, created + (now - created) / 2
                )
            ids.append(memory.id)
        expected = {i for i in ids if decay.is_faded(store.memory(i), now)}
        assert sweep(store, decay, now) == len(expected)
        assert {i for i in ids if store.memory(i).state is State.FADED} == expected
    finally:
        bank.close()
        store.close()

"""The forgetting curve R = exp(-t / S), with t in days since the last recall."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import pytest

from memory.clock import ManualClock
from memory.lifecycle.decay import DecayPolicy
from memory.records import Kind, Memory, State
from tests.unit.fakes import T0


def make_memory(clock: ManualClock, strength: float = 1.0, pinned: bool = False) -> Memory:
    return Memory(
        id="m1",
        kind=Kind.TURN,
        text="my cat is Miso",
        created_at=clock.now(),
        event_time=clock.now(),
        strength=strength,
        last_recalled_at=None,
        pinned=pinned,
        state=State.ACTIVE,
    )


def recalled(memory: Memory, clock: ManualClock, policy: DecayPolicy) -> Memory:
    """What a recall does to a memory: S grows by the spacing-effect gain, t resets."""
    strength = policy.strengthened(memory, clock.now())
    return replace(memory, strength=strength, last_recalled_at=clock.now())


def test_retention_is_one_when_just_recorded() -> None:
    clock = ManualClock(T0)
    assert DecayPolicy().retention(make_memory(clock), clock.now()) == pytest.approx(1.0)


def test_retention_after_one_day_at_strength_one() -> None:
    clock = ManualClock(T0)
    memory = make_memory(clock)
    clock.advance(days=1)
    assert DecayPolicy().retention(memory, clock.now()) == pytest.approx(math.exp(-1))


@pytest.mark.parametrize(("days", "strength"), [(0.5, 1.0), (2, 1.0), (2, 3.0), (10, 4.0)])
def test_retention_is_exp_of_minus_t_over_s(days: float, strength: float) -> None:
    clock = ManualClock(T0)
    memory = make_memory(clock, strength=strength)
    clock.advance(days=days)
    assert DecayPolicy().retention(memory, clock.now()) == pytest.approx(math.exp(-days / strength))


def test_stronger_memories_fade_slower() -> None:
    # Guards against exp(-t / 5 * S) (== exp(-(t/5) * S)), which makes strength *hasten* decay.
    clock = ManualClock(T0)
    weak = make_memory(clock, strength=1.0)
    strong = make_memory(clock, strength=5.0)
    clock.advance(days=3)
    policy = DecayPolicy()
    r_weak = policy.retention(weak, clock.now())
    r_strong = policy.retention(strong, clock.now())
    assert r_strong > r_weak
    assert r_strong == pytest.approx(math.exp(-3 / 5))
    assert r_strong != pytest.approx(math.exp(-3 / 5 * 5))


def test_recall_resets_time_and_strengthens() -> None:
    clock = ManualClock(T0)
    policy = DecayPolicy()
    memory = make_memory(clock, strength=1.0)
    clock.advance(days=2)
    assert policy.retention(memory, clock.now()) == pytest.approx(math.exp(-2))

    memory = recalled(memory, clock, policy)  # t = 0, S grows by the gain at R = e^-2
    s = 1.0 * (1 + policy.recall_boost * math.expm1(1.02 * (1 - math.exp(-2))))
    assert memory.strength == pytest.approx(s)
    assert policy.retention(memory, clock.now()) == pytest.approx(1.0)

    clock.advance(days=2)
    # Same two days as before, but now at the larger S.
    assert policy.retention(memory, clock.now()) == pytest.approx(math.exp(-2 / s))


def test_pinned_memories_never_fade() -> None:
    clock = ManualClock(T0)
    memory = make_memory(clock, strength=0.1, pinned=True)
    clock.advance(days=1000)
    policy = DecayPolicy()
    assert policy.retention(memory, clock.now()) == 1.0
    assert not policy.is_faded(memory, clock.now())


def test_a_time_before_the_memory_counts_as_no_time() -> None:
    clock = ManualClock(T0)
    memory = make_memory(clock)
    clock.advance(days=-3)
    assert DecayPolicy().retention(memory, clock.now()) == pytest.approx(1.0)


def test_is_faded_at_the_threshold() -> None:
    clock = ManualClock(T0)
    policy = DecayPolicy(fade_threshold=0.05)
    memory = make_memory(clock, strength=1.0)
    crossing = -math.log(0.05)  # about 3.0 days at S = 1
    clock.advance(days=crossing - 0.01)
    assert not policy.is_faded(memory, clock.now())
    clock.advance(days=0.02)
    assert policy.is_faded(memory, clock.now())


def test_a_stronger_memory_crosses_the_threshold_later() -> None:
    clock = ManualClock(T0)
    policy = DecayPolicy(fade_threshold=0.05)
    weak = make_memory(clock, strength=1.0)
    strong = make_memory(clock, strength=3.0)
    clock.advance(days=5)
    assert policy.is_faded(weak, clock.now())
    assert not policy.is_faded(strong, clock.now())  # exp(-5/3) ~ 0.19


def test_ranking_factor_blends_retention_by_weight() -> None:
    policy = DecayPolicy(ranking_weight=0.3)
    assert policy.ranking_factor(1.0) == pytest.approx(1.0)
    assert policy.ranking_factor(0.0) == pytest.approx(0.7)
    assert policy.ranking_factor(0.5) == pytest.approx(0.85)
    assert DecayPolicy(ranking_weight=0.0).ranking_factor(0.0) == pytest.approx(1.0)


def test_curve_resets_at_each_recall_and_projects_ahead() -> None:
    clock = ManualClock(T0)
    policy = DecayPolicy()
    memory = make_memory(clock, strength=1.0)
    first_recall = T0 + timedelta(days=2)
    after = policy.after_recall(1.0, math.exp(-2))
    memory = replace(memory, strength=after, last_recalled_at=first_recall)
    now = T0 + timedelta(days=3)
    points = policy.curve(memory, [(first_recall, after)], now, samples=4)
    # Before the recall: S = 1 (the gain inverted); at the recall retention is back to 1.
    before = [r for at, r in points if at < first_recall]
    assert before[0] == 1.0 and math.isclose(before[-1], math.exp(-1.5), rel_tol=1e-6)
    assert (first_recall, 1.0) in points
    assert points[-1][0] == now + timedelta(days=3 * after)  # projected 3·S days past now
    days = (points[-1][0] - first_recall).total_seconds() / 86400
    assert math.isclose(points[-1][1], math.exp(-days / after))
    assert all(a[0] <= b[0] for a, b in zip(points, points[1:], strict=False))


def test_curve_of_a_pinned_memory_is_flat() -> None:
    clock = ManualClock(T0)
    memory = make_memory(clock, pinned=True)
    points = DecayPolicy().curve(memory, [], T0 + timedelta(days=5))
    assert {r for _, r in points} == {1.0}

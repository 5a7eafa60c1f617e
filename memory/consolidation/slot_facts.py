"""Slot values as stored facts: the newest statement supersedes the fact that held the slot.

A slot fact's derive key carries its slot ("slot:<subject>|<slot>|<value>@<session>:<n>"), so
the next statement about the same slot finds what it replaces without asking a model. A model's
fact about a single-valued slot ("The user lives in Paris.") takes part too: a slot fact
supersedes it, and a model fact that contradicts the current slot value is not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from memory.consolidation.facts import fact_key
from memory.consolidation.hierarchy import Derived
from memory.consolidation.slots import MANY_RELATIONS, ONE_RELATIONS, PETS, SINGLE, SlotValue, norm
from memory.records import Memory

PREFIX = "slot:"
# A fact in the person's own words (own_words.py) carries the slot values its sentence set:
# "words:<value key>,<value key>@<session>:<n>", so a newer statement supersedes it too.
WORDS = "words:"


@dataclass(frozen=True)
class Held:
    """What a stored fact says about a slot."""

    slot_id: str  # "<subject>|<slot>"
    key: str  # "<subject>|<slot>|<value>"
    single: bool


def derive_key(value: SlotValue, stem: str, n: int) -> str:
    return f"{PREFIX}{value.key}@{stem}:{n}"


def words_key(values: Sequence[SlotValue], stem: str, n: int) -> str:
    return f"{WORDS}{','.join(v.key for v in values)}@{stem}:{n}"


def _held(value_key: str) -> Held:
    slot_id = value_key.rsplit("|", 1)[0]
    return Held(slot_id, value_key, _single(slot_id.split("|", 1)[1]))


def holds(memory: Memory) -> list[Held]:
    """The slots a stored fact holds: from its derive key, or from a model fact's wording."""
    key = memory.derive_key or ""
    if key.startswith(PREFIX):
        return [_held(key[len(PREFIX) :].rsplit("@", 1)[0])]
    if key.startswith(WORDS):
        return [_held(k) for k in key[len(WORDS) :].rsplit("@", 1)[0].split(",") if k]
    held = model_fact_slot(memory.text)
    return [held] if held is not None else []


def held_by(memory: Memory) -> Held | None:
    """The first slot a stored fact holds, if any."""
    return next(iter(holds(memory)), None)


def model_fact_slot(text: str) -> Held | None:
    """ "The user lives in Paris." -> home; "The user's sister is Jo." -> people:sister."""
    k = fact_key(text)
    if k.slot is None or not k.value:
        return None
    if k.slot in ("home", "work", "age"):
        slot = k.slot
    elif k.slot in ONE_RELATIONS or k.slot in MANY_RELATIONS:
        slot = f"people:{ONE_RELATIONS.get(k.slot, k.slot)}"
    elif k.slot in PETS.split():
        slot = f"pet:{k.slot}"
    elif k.slot.startswith("favourite "):
        slot = f"favourite:{k.slot.removeprefix('favourite ')}"
    else:
        return None
    value = norm(k.value.removeprefix("called ").removeprefix("named "))
    return Held(f"|{slot}", f"|{slot}|{value}", _single(slot))


def _single(slot: str) -> bool:
    if slot.startswith("people:"):
        return slot.removeprefix("people:") in ONE_RELATIONS.values()
    return slot in SINGLE or slot.startswith(("pet:", "favourite:"))


@dataclass
class SlotPlan:
    items: list[Derived] = field(default_factory=list)
    supersede: list[tuple[str, str]] = field(default_factory=list)
    strengthen: list[str] = field(default_factory=list)
    held: dict[str, set[str]] = field(default_factory=dict)  # slot id -> value keys now held


def plan_slots(
    values: Sequence[SlotValue],
    existing: Sequence[Memory],
    make: Callable[[SlotValue, int], Derived],
) -> SlotPlan:
    """The facts to add, supersede and confirm for `values` (one session's, newest wins within
    it) against the `existing` active facts of their space."""
    plan = SlotPlan()
    by_slot: dict[str, list[tuple[Memory, Held]]] = {}
    for m in existing:
        for held in holds(m):
            by_slot.setdefault(held.slot_id, []).append((m, held))
            plan.held.setdefault(held.slot_id, set()).add(held.key)
    for n, value in enumerate(values):
        olds = by_slot.get(value.slot_id, [])
        same = [m for m, h in olds if h.key == value.key]
        if same:
            plan.strengthen.append(same[-1].id)
        else:
            item = make(value, n)
            plan.items.append(item)
            if value.replaces:
                plan.supersede += [(m.id, item.id) for m, h in olds if h.key != value.key]
        if value.replaces:
            plan.held[value.slot_id] = {value.key}
        else:
            plan.held.setdefault(value.slot_id, set()).add(value.key)
    return plan


def stale(values: Sequence[SlotValue], held: dict[str, set[str]]) -> bool:
    """A statement whose single-valued slot was replaced later in the same session."""
    return any(v.single and held.get(v.slot_id) and v.key not in held[v.slot_id] for v in values)


def contradicts(fact: str, held: dict[str, set[str]]) -> bool:
    """A model fact giving a single-valued slot a value other than the one held now."""
    mine = model_fact_slot(fact)
    if mine is None or not mine.single:
        return False
    now = held.get(mine.slot_id)
    return bool(now) and mine.key not in (now or set())

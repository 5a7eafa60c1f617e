"""The persona's profile: one line per section, rendered from slot values (memory/consolidation
/slots.py) where the newest statement of each single-valued slot wins.

A 135M model cannot write a grounded persona (MEASURED.md), so the persona is never left to it
alone: every profile entry is a slot value cut from the person's own statement, so it is
grounded by construction and never holds two homes. A capable model's prose goes on top.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from memory.consolidation.slots import SlotValue, slot_values

SECTIONS = (
    ("who", "Who"),
    ("home", "Home"),
    ("work", "Work"),
    ("people", "People"),
    ("pets", "Pets"),
    ("likes", "Likes"),
    ("dislikes", "Dislikes"),
    ("health", "Health"),
    ("diet", "Diet"),
    ("plans", "Plans"),
    ("answers", "Answers"),
)
PER_SECTION = 4  # the newest entries of each many-valued section
_SECTION_OF = {"name": "who", "age": "who", "home": "home", "work": "work", "diet": "diet"}


def section_of(slot: str) -> str:
    if slot.startswith("people:"):
        return "people"
    if slot.startswith("pet:"):
        return "pets"
    if slot.startswith("favourite:"):
        return "likes"
    return _SECTION_OF.get(slot, slot)


def entry(value: SlotValue) -> str:
    """How a value reads in its section: "lives in Berlin", "sister Jo", "Caroline: sister Jo"."""
    text = value.text.rstrip(".")
    subject = value.subject or "The user"
    body = re.sub(rf"^{re.escape(subject)}(?:'s)?\s+", "", text)
    body = re.sub(r"^(.+?) is called (.+)$", r"\1 \2", body)  # "sister is called Jo"
    body = re.sub(r"^is ", "", body)  # "is vegan", "is allergic to peanuts"
    return body if not value.subject else f"{value.subject}: {body}"


@dataclass
class Profile:
    entries: dict[str, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.entries.values())

    def lines(self) -> list[str]:
        """One line per section, in a fixed order: "Home: lives in Lisbon."."""
        out = []
        for key, title in SECTIONS:
            items = self.entries.get(key, [])[-PER_SECTION:]
            if items:
                out.append(f"{title}: {'; '.join(items)}.")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


def current(values: Iterable[SlotValue]) -> list[SlotValue]:
    """What holds now of `values` (oldest first): a newer value of a single-valued slot, or a
    correction, replaces the older; a value said twice is kept once, where it was said last."""
    held: list[SlotValue] = []
    for v in values:
        held = [h for h in held if h.key != v.key and not (v.replaces and h.slot_id == v.slot_id)]
        held.append(v)
    return held


def render(values: Iterable[SlotValue]) -> Profile:
    """The profile of the values that hold now (pass them oldest first)."""
    profile = Profile()
    for v in current(values):
        profile.entries.setdefault(section_of(v.slot), []).append(entry(v))
    return profile


def build_profile(statements: Sequence[str]) -> Profile:
    """The profile of what `statements` (a person's words, oldest first) say."""
    return render(v for text in statements for v in slot_values(text))


def profile_claims(text: str) -> list[str]:
    """The claims of a profile text: each entry with its section title taken off (the grounding
    test checks these against what the user said)."""
    titles = tuple(f"{t}:" for _, t in SECTIONS)
    claims = []
    for line in text.splitlines():
        if line.startswith(titles):
            body = line.split(":", 1)[1].strip().rstrip(".")
            claims += [c.strip() for c in body.split(";") if c.strip()]
    return claims

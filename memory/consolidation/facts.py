"""Atomic facts: duplicate detection and knowledge updates (the newest fact wins)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SUBJECT = re.compile(r"^(?:the user(?:'s)?|user(?:'s)?|i am|i'm|i|my)\s+", re.IGNORECASE)
# Single-valued attributes: a new value replaces the old one. (Likes and hobbies are
# many-valued and never supersede each other.)
_SLOTS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"^(?:now |currently )?(?:lives?|living|moved|relocated|resides?|is based)"
            r"(?: now)? (?:in|to|at)\b"
        ),
        "home",
    ),
    (
        re.compile(
            r"^(?:now |currently )?(?:works?|working|is employed|got a job)(?: now)? "
            r"(?:as|at|for)\b"
        ),
        "work",
    ),
    (re.compile(r"^(?:is|turned) (\d+)(?: years old)?\b"), "age"),
    (re.compile(r"^(?:favou?rite) (\w+)(?: \w+)? (?:is|are)\b"), "favourite {0}"),
    (re.compile(r"^(\w+)(?:'s)? (?:name )?is (?:called|named)\b"), "{0}"),
    (re.compile(r"^(\w+)'s name is\b"), "{0}"),
    (re.compile(r"^(\w+) is\b"), "{0}"),
]


@dataclass(frozen=True)
class FactKey:
    slot: str | None  # e.g. "home", "work", "cat name"; None when not a single-valued fact
    value: str  # what the slot holds, normalised


def normalise(fact: str) -> str:
    text = " ".join(fact.lower().replace("’", "'").split()).rstrip(".!")
    return _SUBJECT.sub("", text).strip()


def fact_key(fact: str) -> FactKey:
    text = normalise(fact)
    for pattern, name in _SLOTS:
        match = pattern.match(text)
        if match:
            slot = name.format(*match.groups()) if match.groups() else name
            value = text[match.end() :].strip()
            if name == "age":
                value = match.group(1)
            return FactKey(slot, value)
    return FactKey(None, text)


def is_duplicate(new: str, old: str) -> bool:
    a, b = normalise(new), normalise(old)
    if a == b:
        return True
    ka, kb = fact_key(new), fact_key(old)
    return ka.slot is not None and ka.slot == kb.slot and ka.value == kb.value


def supersedes(new: str, old: str) -> bool:
    """True when `new` gives a different value for the same single-valued attribute."""
    ka, kb = fact_key(new), fact_key(old)
    return ka.slot is not None and ka.slot == kb.slot and ka.value != kb.value and bool(ka.value)

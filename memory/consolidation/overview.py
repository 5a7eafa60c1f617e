"""The global summary in the user's own words: each day's most specific sentences, kept across
days, so the overview still names the park of the first week when the tenth day is summarised.

Used when summaries are the user's words (a small model) and whenever the model's overview is
unusable. Every sentence is one a day's summary already holds, so nothing is invented; a
sentence is specific by what a question would ask for: names, titles, places, numbers.
"""

from __future__ import annotations

import re

from memory.consolidation.checks import sentences
from memory.consolidation.grounding import content_words
from memory.consolidation.own_words import others_once, unpinned

MAX_SENTENCES = 12  # of the overview, newest kept
MAX_CHARS = 1500  # ~375 tokens of every prompt's system message
PER_DAY = 2  # sentences a day adds, at most
NAMES_SOMETHING = 2.0  # a name, a title or two numbers

_CALENDAR = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday I".split()
)
_QUOTED = re.compile(r"[\"“][^\"”]{2,80}[\"”]")
_NAME = re.compile(r"\b[A-Z][\w'’-]*")
_NUMBER = re.compile(r"\b\d[\d.,:]*\b")
_NAMING = re.compile(r"\b(?:called|named)\b")  # "a dish called steamed sea bass"
CONTENT_CAP = 8  # content words that count: a long sentence is not specific for its length


def specificity(sentence: str) -> float:
    """What a question could ask of it: proper names and titles (not the subject the sentence
    opens with, nor the dates the third person pinned), numbers, then content words."""
    bare = unpinned(sentence)
    first = bare.split(" ", 1)
    rest = first[1] if len(first) > 1 else ""
    names = [n for n in _NAME.findall(rest) if n not in _CALENDAR and n not in ("The", first[0])]
    return (
        2.0 * len(names)
        + 2.0 * len(_QUOTED.findall(bare))
        + 2.0 * len(_NAMING.findall(rest))
        + len(_NUMBER.findall(rest))
        + 0.1 * min(len(content_words(bare)), CONTENT_CAP)
    )


def day_highlights(day: str, per_day: int = PER_DAY) -> list[str]:
    """A day's most specific sentence, and up to `per_day` - 1 more that name something, in
    the order they were said. A question ("The user said: … do you have any recommendations?",
    a day's raw words when nothing was stated) says nothing about the user."""
    said = [s.lstrip("/ ") for s in sentences(day) if not s.rstrip().endswith("?")]
    ranked = sorted(range(len(said)), key=lambda i: (-specificity(said[i]), i))[:per_day]
    best = ranked[:1] + [i for i in ranked[1:] if specificity(said[i]) >= NAMES_SOMETHING]
    return [said[i] for i in sorted(best)]


def highlights(previous: str, days: list[str]) -> str:
    """The previous overview's sentences, then each new day's highlights, each sentence once;
    the newest MAX_SENTENCES within MAX_CHARS kept."""
    out = sentences(previous)
    for day in days:
        for s in day_highlights(day):
            key = s.rstrip(".").lower()
            out = [o for o in out if o.rstrip(".").lower() != key] + [s]
    kept: list[str] = []
    size = 0
    for s in reversed(out[-MAX_SENTENCES:]):
        if size + len(s) > MAX_CHARS:
            break
        kept.insert(0, s)
        size += len(s) + 1
    return others_once(" ".join(kept), near=True)

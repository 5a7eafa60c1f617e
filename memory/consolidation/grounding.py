"""Checks that model output says only what its source says (the tiny model invents things)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import snowballstemmer

from memory.storage.fts import STOP_WORDS

_WORD = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9']*")
# Words a summary, fact or persona may use without the source saying them.
FRAME_WORDS = frozenset(
    """
    user user's users they them their theirs themselves said says talked talk talks
    mentioned told shared spoke about also today yesterday tomorrow day conversation
    discussed enjoys enjoy likes like loves love prefers prefer seems tends values cares
    care matters important feels person someone answers answer responses response replies
    reply short brief detailed calm friendly warm practical direct kind patient supportive
    would best respond personality preferences interested interest wants want going goes
    currently recently often usually people life explained noted stated described expressed
    asked added others
    """.split()
)
_NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}


def content_words(text: str) -> list[str]:
    words = [w.lower().strip("'") for w in _WORD.findall(text)]
    return [
        w
        for w in words
        if len(w) > 2 and w not in STOP_WORDS and w not in FRAME_WORDS and w not in _NUMBER_WORDS
    ]


_STEMMER = snowballstemmer.stemmer("english")


def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word.removesuffix("'s")))


def stem(word: str) -> str:
    """A word's Snowball stem ("hospitals" -> "hospit"), the unit every grounding check compares."""
    return _stem(word.lower())


def support(claim: str, source: str) -> float:
    """The share of the claim's content words (compared by Snowball stem) found in the source."""
    words = content_words(claim)
    if not words:
        return 0.0
    have = {_stem(w) for w in content_words(source)}
    return sum(_stem(w) in have for w in words) / len(words)


def grounded(claim: str, source: str, threshold: float = 0.75) -> bool:
    return support(claim, source) >= threshold


def unsupported_words(claim: str, sources: Sequence[str]) -> list[str]:
    """The claim's content words that no source says (compared by stem): "doctor" in
    "The user's job is a doctor" when the sources only ever said "nurse"."""
    have = {_stem(w) for source in sources for w in content_words(source)}
    return [w for w in content_words(claim) if _stem(w) not in have]


def supporting(claim: str, sources: Sequence[str]) -> list[str]:
    """The sources that share at least one content word with the claim."""
    words = {_stem(w) for w in content_words(claim)}
    return [s for s in sources if words & {_stem(w) for w in content_words(s)}]


_CLAUSE = re.compile(r"\s*(?:[,;:]|\band\b|\bbut\b|\bwhile\b|\bwho\b|\bwhich\b|\bbecause\b)\s*")


def clauses(text: str) -> list[str]:
    """The parts of a sentence that each say one thing ("X is a doctor and lives in Y")."""
    return [c for c in _CLAUSE.split(text) if content_words(c)]


def each_clause_in_one_source(claim: str, sources: Sequence[str], threshold: float) -> bool:
    """Every clause of `claim` is supported by a single source, not pieced together from words
    scattered over several ("job" from one, "doctor" from another, "hospital" from a third)."""
    parts = clauses(claim)
    return bool(parts) and all(
        max((support(part, source) for source in sources), default=0.0) >= threshold
        for part in parts
    )


def bullets(text: str) -> list[str]:
    """Lines of a bullet list ("- x", "* x", "1. x"), cleaned; empty and duplicate lines dropped."""
    seen: set[str] = set()
    items: list[str] = []
    for line in text.splitlines():
        item = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip()
        key = item.lower().rstrip(".")
        if len(item) >= 8 and key not in seen:
            seen.add(key)
            items.append(item if item.endswith((".", "!", "?")) else item + ".")
    return items

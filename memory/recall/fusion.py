"""Pure ranking pieces of recall: rank fusion, context propagation, speakers, duplicates, budget."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")


class HasText(Protocol):
    @property
    def text(self) -> str: ...


# "Caroline: I went to ..." -- the speaker label imported conversations put before a turn.
_SPEAKER = re.compile(r"^([A-Z][\w'.-]{0,30}(?: [A-Z][\w'.-]{0,30}){0,2}): ")
_WORDS = re.compile(r"[\w']+")


def rrf(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    """Reciprocal-rank fusion: sum over rankings of 1 / (k + rank), rank starting at 1."""
    return weighted_rrf([(ranking, 1.0) for ranking in rankings], k)


def weighted_rrf(rankings: Sequence[tuple[Sequence[str], float]], k: int = 60) -> dict[str, float]:
    """Like rrf, each ranking's contribution multiplied by its weight (0 leaves it out)."""
    scores: dict[str, float] = {}
    for ranking, weight in rankings:
        if weight <= 0:
            continue
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


def propagate(
    scores: Mapping[str, float],
    neighbours: Mapping[str, tuple[str | None, str | None]],
    to_next: float,
    to_previous: float,
) -> dict[str, float]:
    """A turn that matches lends part of its score to the turn after it (whose context it is)
    and to the one before it: an answer like "Yes, last Tuesday" is found by its question."""
    out = dict(scores)
    for item, score in scores.items():
        previous, following = neighbours.get(item, (None, None))
        if following is not None and to_next > 0:
            out[following] = out.get(following, 0.0) + to_next * score
        if previous is not None and to_previous > 0:
            out[previous] = out.get(previous, 0.0) + to_previous * score
    return out


def ranked(scores: Mapping[str, float]) -> list[str]:
    """Keys best first; ties keep insertion order."""
    return sorted(scores, key=lambda item: scores[item], reverse=True)


def said_first(
    ids: Sequence[str], memories: Mapping[str, HasText], speakers: set[str]
) -> list[str]:
    """`ids` with the turns of `speakers` first, each part in its order: a question about
    Melanie is answered by what Melanie said (docs/benchmarks.md, "Topics of a life")."""
    said = [i for i in ids if i in memories and speaker_of(memories[i].text) in speakers]
    kept = set(said)
    return said + [i for i in ids if i not in kept]


def speaker_of(text: str) -> str | None:
    """The speaker label at the start of an imported turn, if any."""
    match = _SPEAKER.match(text)
    return match.group(1) if match else None


def named_speakers(query: str, speakers: Iterable[str]) -> set[str]:
    """The known speakers the query mentions by name (whole words, any case)."""
    words = {w.lower().removesuffix("'s") for w in _WORDS.findall(query)}
    found: set[str] = set()
    for speaker in speakers:
        parts = speaker.lower().split()
        if parts and all(p in words for p in parts):
            found.add(speaker)
    return found


def without_names(query: str, names: Iterable[str]) -> str:
    """The query with the names taken out: every turn of a speaker carries their name, so as a
    keyword it matches half the conversation; it is used as a boost instead."""
    for name in names:
        query = re.sub(rf"\b{re.escape(name)}(?:'s)?\b", " ", query, flags=re.IGNORECASE)
    return " ".join(query.split())


def word_set(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORDS.findall(text))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def estimate_tokens(text: str) -> int:
    """A model-free token estimate (about four characters a token for English)."""
    return max(1, (len(text) + 3) // 4)


def select(
    items: Sequence[T],
    text: Callable[[T], str],
    *,
    k: int,
    budget: int | None = None,
    duplicate_threshold: float = 1.01,
) -> list[T]:
    """The first items, at most `k`, skipping near-duplicates of one already taken (word-set
    Jaccard at or above `duplicate_threshold`) and any that would overflow `budget` estimated
    tokens (a shorter one after it may still fit)."""
    out: list[T] = []
    seen: list[frozenset[str]] = []
    spent = 0
    for item in items:
        if len(out) >= k:
            break
        body = text(item)
        cost = estimate_tokens(body)
        if budget is not None and spent + cost > budget:
            continue
        words = word_set(body)
        if any(jaccard(words, other) >= duplicate_threshold for other in seen):
            continue
        out.append(item)
        seen.append(words)
        spent += cost
    return out

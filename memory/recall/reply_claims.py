"""What a reply asserts that its memories do not: invented specifics and contradicted claims.

A small model answers a question about the user's life with fluent invention: a title ("Silent
Separation by George Orwell"), a place ("the Xiamen Alps"), a number ("27 days"), a relation
("your sister Anna") or a flipped claim ("Anna doesn't like comedies" when she said she likes
them). Most of its words still occur in the memories, so a share-of-words check passes it; the
specifics do not. Each check here looks at one kind of specific and compares it, by lower-cased
word or Snowball stem, with what the question and the memories given say. Pure text: no model,
microseconds per reply, the same result in the window, the CLI and the benchmark.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from memory.consolidation.grounding import clauses, content_words
from memory.consolidation.grounding import stem as snowball_stem

ClaimKind = Literal["name", "number", "date", "relation", "contradiction"]

MONTHS = (
    "january february march april may june july august september october november december"
).split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "thousand": 1000}
RELATIONS = frozenset(
    """
    sister brother mother mom mum father dad parent parents son daughter child children kid kids
    wife husband partner boyfriend girlfriend fiance fiancee friend friends cousin aunt uncle
    niece nephew grandma grandmother grandpa grandfather grandson granddaughter boss colleague
    coworker neighbour neighbor roommate teacher doctor dog cat pet
    """.split()
)
# Capitalised words a reply may use without a memory saying them.
FREE_NAMES = frozenset(
    """
    i i'm i've i'd i'll you your you're it it's the a an and but or so yes no ok okay oh well
    hi hello hey sure sorry great that this there here what when where who why how he she they
    we my his her their our membank ai notes note question answer memory memories today
    yesterday tomorrow mr mrs ms dr
    """.split()
)
NEGATIONS = frozenset(
    "not no never nothing none nobody neither nor cannot can't don't doesn't didn't isn't "
    "aren't wasn't weren't won't wouldn't haven't hasn't hadn't shouldn't couldn't dislike "
    "dislikes disliked hate hates hated".split()
)
_WORD = re.compile(r"[^\W_][\w'’]*")  # letters of any script: "García Márquez" is two words
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_NUMBER = re.compile(r"\b\d+(?:[.,:]\d+)*\b")
_RELATION_WORDS = "|".join(sorted(RELATIONS))
_RELATION_NAME = re.compile(
    rf"\b(?i:your|my|his|her|their)\s+((?i:{_RELATION_WORDS}))\s*,?\s+([A-Z][a-z]+)"
)
_NAME_RELATION = re.compile(
    rf"\b([A-Z][a-z]+)\s*,?\s+(?:is\s+)?(?i:your|my|his|her|their)\s+((?i:{_RELATION_WORDS}))\b"
)
# Within one memory clause a claim shares this many content words before a flipped polarity
# counts as a contradiction ("like" + "comedy" + "movies"; two, as in "experiences of the
# community", turned out to be a coincidence on LoCoMo).
MIN_SHARED_FOR_CONTRADICTION = 3
MIN_SHARE_FOR_CONTRADICTION = 0.6


@dataclass(frozen=True)
class Claim:
    """One thing the reply says that the memories do not back: its kind and the words."""

    kind: ClaimKind
    text: str


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A word's Snowball stem, remembered: the pure-Python stemmer costs ~70 µs a word, and a
    check stems the same memories' words reply after reply."""
    return snowball_stem(word)


def _norm(word: str) -> str:
    return word.replace("’", "'").lower().removesuffix("'s").strip("'")


def _words(text: str) -> list[str]:
    return [_norm(w) for w in _WORD.findall(text)]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


@dataclass(frozen=True)
class Known:
    """What the question and the memories given say, in the forms the checks compare."""

    words: frozenset[str]  # lower-cased words
    stems: frozenset[str]
    numbers: frozenset[str]  # digits, number words turned into digits, dates' days and years
    texts: tuple[str, ...]  # the question and each memory, for relations and contradictions

    @classmethod
    def of(cls, question: str, memories: Iterable[tuple[str, datetime | None]]) -> Known:
        texts = [question]
        numbers: set[str] = set()
        dated: list[str] = []
        for text, when in memories:
            texts.append(text)
            if when is not None:  # the reply may give a memory's date: it is known
                dated.append(f"{when:%A %-d %B %Y %d}")
                numbers |= {str(when.day), str(when.year), f"{when.day:02d}"}
        words = [w for t in [*texts, *dated] for w in _words(t)]
        for text in texts:
            numbers |= _numbers(text)
        return cls(
            frozenset(words),
            frozenset(stem(w) for w in words),
            frozenset(numbers),
            tuple(texts),
        )


def _numbers(text: str) -> set[str]:
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    found |= {str(NUMBER_WORDS[w]) for w in _words(text) if w in NUMBER_WORDS}
    # "2:30" and "3.5" also stand for their parts ("2", "30"): a reply may split them.
    return found | {p for n in list(found) for p in re.split(r"[.:]", n) if p}


def invented_numbers(reply: str, known: Known) -> list[Claim]:
    """Numbers (digits or words) in the reply that neither the question nor a memory gives."""
    said = _numbers(reply)
    return [Claim("number", n) for n in sorted(said - known.numbers) if n not in ("0", "1")]


def invented_dates(reply: str, known: Known) -> list[Claim]:
    """Month and weekday names no memory's words or dates mention."""
    return [
        Claim("date", w)
        for w in dict.fromkeys(_words(reply))
        if w in MONTHS + WEEKDAYS
        and w not in known.words
        # "may" the verb is not a date: only "May" capitalised after a number or before one
        and not (w == "may" and not re.search(r"\d\s*May\b|\bMay\s*\d", reply))
    ]


def _capitalised(sentence: str) -> list[str]:
    """The capitalised words of a sentence, the first word only when the next is capitalised
    too (a sentence's first word is capitalised anyway; "Gulangyu Island is…" is a name)."""
    tokens = _WORD.findall(sentence)
    names = []
    for i, token in enumerate(tokens):
        if not token[:1].isupper():
            continue
        if i == 0 and not (len(tokens) > 1 and tokens[1][:1].isupper()):
            continue
        names.append(token)
    return names


def invented_names(reply: str, known: Known) -> list[Claim]:
    """Names, titles and places (capitalised words) that no memory nor the question says."""
    found: dict[str, None] = {}
    for sentence in sentences(reply):
        for token in _capitalised(sentence):
            word = _norm(token)
            if word in FREE_NAMES or word in MONTHS or word in WEEKDAYS or word.isdigit():
                continue
            if word in known.words or stem(word) in known.stems:
                continue
            found[token.replace("’", "'").removesuffix("'s")] = None
    return [Claim("name", n) for n in found]


def relations(text: str) -> set[tuple[str, str]]:
    """(relation, name) pairs a text states: "your sister Anna", "Anna, my sister"."""
    pairs = {(r.lower(), n.lower()) for r, n in _RELATION_NAME.findall(text)}
    return pairs | {(r.lower(), n.lower()) for n, r in _NAME_RELATION.findall(text)}


def _ties(text: str, relation: str, name: str) -> bool:
    """One sentence of a memory names both the person and the relation."""
    for sentence in sentences(text):
        words = set(_words(sentence))
        if name in words and (relation in words or stem(relation) in {stem(w) for w in words}):
            return True
    return False


def invented_relations(reply: str, known: Known) -> list[Claim]:
    """A person tied to a relation ("your sister Anna") that no one memory ties them to: an
    invented relative, or an answer about the wrong person."""
    return [
        Claim("relation", f"{relation} {name.title()}")
        for relation, name in sorted(relations(reply))
        if not any(_ties(text, relation, name) for text in known.texts)
    ]


def _polarity(words: Sequence[str]) -> bool:
    """False when the clause is negated ("doesn't like", "never", "hates")."""
    return sum(w in NEGATIONS or w.endswith("n't") for w in words) % 2 == 0


def _claim_stems(words: Sequence[str]) -> set[str]:
    kept = [w for w in words if w not in NEGATIONS and not w.endswith("n't")]
    stems = {stem(w) for w in content_words(" ".join(kept))}
    # "like"/"love"/"enjoy" are frame words to the grounding check, but here they carry the
    # claim ("likes comedies" vs "doesn't like comedies"): keep them, as one form.
    for w in kept:
        if w in ("like", "likes", "liked", "love", "loves", "loved", "enjoy", "enjoys", "enjoyed"):
            stems.add("like")
    for w in words:
        if w in ("hate", "hates", "hated", "dislike", "dislikes", "disliked"):
            stems.add("like")
    return stems


def contradictions(reply: str, known: Known) -> list[Claim]:
    """Reply clauses whose words a memory clause says with the opposite polarity (clause by
    clause, so a "not" in one part of a sentence does not flip another)."""
    found = []
    memory_clauses = [c for text in known.texts[1:] for s in sentences(text) for c in clauses(s)]
    parsed = [(_claim_stems(_words(c)), _polarity(_words(c))) for c in memory_clauses]
    for sentence in (c for s in sentences(reply) for c in clauses(s)):
        words = _words(sentence)
        said = _claim_stems(words)
        if len(said) < MIN_SHARED_FOR_CONTRADICTION:
            continue
        polarity = _polarity(words)
        for stems, memory_polarity in parsed:
            shared = said & stems
            if (
                memory_polarity != polarity
                and len(shared) >= MIN_SHARED_FOR_CONTRADICTION
                and len(shared) >= MIN_SHARE_FOR_CONTRADICTION * min(len(said), len(stems))
            ):
                found.append(Claim("contradiction", sentence))
                break
    return found


def specifics(text: str) -> set[str]:
    """A text's own specifics: its capitalised words (names, titles, places) and numbers."""
    names = {_norm(w) for s in sentences(text) for w in _capitalised(s)}
    return (names - FREE_NAMES) | _numbers(text)


def unbacked_claims(reply: str, known: Known) -> list[Claim]:
    """Everything the reply asserts that the question and the memories do not back."""
    return [
        *contradictions(reply, known),
        *invented_relations(reply, known),
        *invented_names(reply, known),
        *invented_numbers(reply, known),
        *invented_dates(reply, known),
    ]

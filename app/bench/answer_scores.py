"""Scores for `bench answers`, all without an LLM judge: token F1, answer hit, refusals."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.transfer.locomo import Question
from memory.consolidation.grounding import content_words, stem
from memory.recall.reply_check import is_refusal

_ARTICLES = re.compile(r"\b(a|an|the|and)\b")
KEYS = (
    "answer_hit",
    "answer_hit_given_evidence",
    "evidence_in_prompt",
    "refusal_rate",
    "f1",
    "answer_shown",
    "silent_wrong_rate",
    "flag_precision",
    "flag_recall",
)


def _tokens(text: str) -> list[str]:
    """LoCoMo's answer normalisation: lower case, no punctuation or articles, stemmed."""
    text = text.lower().replace(",", "")
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    return [stem(w) for w in _ARTICLES.sub(" ", text).split()]


def token_f1(reply: str, gold: str) -> float:
    """Token-level F1 of the reply against the gold answer (LoCoMo's QA metric)."""
    said, want = _tokens(reply), _tokens(gold)
    common = sum((Counter(said) & Counter(want)).values())
    if not said or not want or common == 0:
        return 0.0
    precision, recall = common / len(said), common / len(want)
    return 2 * precision * recall / (precision + recall)


def _answer_words(gold: str) -> set[str]:
    words = {stem(w) for w in content_words(gold)}
    # A bare year or number ("2022", "3") is content too, though the grounding filter drops it.
    return words | {w for w in re.findall(r"\b\d+\b", gold)}


def answer_hit(reply: str, gold: str) -> bool:
    """At least half of the gold answer's content words are in the reply."""
    want = _answer_words(gold)
    if not want:
        return False
    have = {stem(w) for w in content_words(reply)} | set(re.findall(r"\b\d+\b", reply))
    return len(want & have) * 2 >= len(want)


def evidence_ids(evidence: Sequence[str]) -> list[str]:
    """LoCoMo's evidence ids, one per entry or several in one ("D8:6; D9:17")."""
    return [e for item in evidence for e in re.split(r"[;,\s]+", item) if e]


def sample_questions(
    questions: Sequence[Question], per_conversation: int | None, categories: Sequence[int]
) -> list[Question]:
    """Deterministic, stratified by category: the quota goes round the categories one question
    at a time, and each category's picks are evenly spaced through the conversation."""
    pools = {c: [q for q in questions if q.category == c and q.answer] for c in categories}
    if per_conversation is None:
        return [q for q in questions if q in pools.get(q.category, [])]
    quota = dict.fromkeys(categories, 0)
    left = per_conversation
    while left > 0 and any(quota[c] < len(pools[c]) for c in categories):
        for c in categories:
            if left > 0 and quota[c] < len(pools[c]):
                quota[c] += 1
                left -= 1
    picked: set[int] = set()
    for c in categories:
        pool, n = pools[c], quota[c]
        picked |= {id(pool[(2 * i + 1) * len(pool) // (2 * n)]) for i in range(n)}
    return [q for q in questions if id(q) in picked]


@dataclass(frozen=True)
class Asked:
    """One question's outcome."""

    category: int
    f1: float
    hit: bool
    evidence: bool  # an evidence turn of the question was among the prompt's memories
    refusal: bool
    flagged: bool  # the reply check showed a memory card under it
    seconds: float
    card_hit: bool = False  # the card under the reply shows a memory that holds the answer

    @property
    def shown(self) -> bool:
        """The user sees the answer: in the reply, or in the card under it."""
        return self.hit or (self.flagged and self.card_hit)

    @property
    def silent_wrong(self) -> bool:
        """The evidence was in the prompt, the reply missed the answer, and nothing said so."""
        return self.evidence and not self.hit and not self.flagged

    @property
    def kind(self) -> str:
        """Which of the four outcomes a user meets (the `--json` examples are grouped by it)."""
        if self.hit:
            return "false_alarm" if self.flagged else "right"
        if self.flagged:
            return "caught"
        return "silent_wrong" if self.evidence else "missed_without_evidence"


@dataclass
class Scores:
    rows: list[Asked] = field(default_factory=list)

    def of(self, category: int | None = None) -> dict[str, Any]:
        rows = [r for r in self.rows if category is None or r.category == category]
        n = len(rows)
        with_evidence = [r for r in rows if r.evidence]
        misses = [r for r in rows if not r.hit]
        flagged = sum(r.flagged for r in rows)
        return {
            "questions": n,
            "answer_hit": _share(sum(r.hit for r in rows), n),
            "answer_hit_given_evidence": _share(
                sum(r.hit for r in with_evidence), len(with_evidence)
            ),
            "evidence_in_prompt": _share(len(with_evidence), n),
            "refusal_rate": _share(sum(r.refusal for r in rows), n),
            "f1": round(sum(r.f1 for r in rows) / n, 3) if n else 0.0,
            "flagged_rate": _share(sum(r.flagged for r in rows), n),
            "answer_shown": _share(sum(r.shown for r in rows), n),
            "silent_wrong_rate": _share(sum(r.silent_wrong for r in rows), n),
            # Of the flagged replies, the share that did miss the gold answer; of the replies
            # that missed it, the share flagged.
            # (None when there is nothing to divide: no flag, or no miss.)
            "flag_precision": _share(sum(r.flagged and not r.hit for r in rows), flagged, None),
            "flag_recall": _share(sum(r.flagged for r in misses), len(misses), None),
            "latency_p50_s": _median([r.seconds for r in rows]),
        }

    def categories(self) -> list[int]:
        return sorted({r.category for r in self.rows})

    def as_json(self) -> dict[str, Any]:
        return {
            "overall": self.of(),
            "by_category": {str(c): self.of(c) for c in self.categories()},
        }


def refused(reply: str) -> bool:
    return is_refusal(reply)


def _share(part: int, whole: int, empty: float | None = 0.0) -> float | None:
    return round(part / whole, 3) if whole else empty


def rate(value: float | None) -> str:
    """A share for a table: three decimals, or a dash when there was nothing to divide."""
    return "—" if value is None else f"{value:.3f}"


def _median(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[len(ordered) // 2], 2)

"""Check a reply against the memories it was given, without a second generation.

A small model often has the answer in its prompt and still replies with a refusal or with general
knowledge (MEASURED.md). When a used memory answers the question and the reply does not reflect
it, the window shows that memory under the reply ("From your memory, <date>: …") and `ask --json`
flags it. Pure word arithmetic (Snowball stems of content words): microseconds, no model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from memory.consolidation.grounding import content_words, stem
from memory.records import Memory, Recalled

Verdict = Literal["ok", "refusal", "ignored", "unsupported", "no_answer_in_memory"]
FLAGGED: frozenset[str] = frozenset({"refusal", "ignored", "unsupported"})
# The share of the question's content words a memory must hold to count as answering it.
MIN_QUESTION_OVERLAP = 0.5
# Below this share of its content words found in the question or the used memories, a reply
# says something the memories do not (general knowledge, an invented detail).
MIN_REPLY_SUPPORT = 0.5

_REFUSAL = re.compile(
    r"\b(?:"
    r"i (?:do not|don't|dont|cannot|can't|can not|could not|couldn't) "
    r"(?:remember|recall|know|find|see|help|access|say|tell|answer|provide|determine)"
    r"|i(?:'m| am) (?:sorry|afraid|not sure|not able|unable|not aware|just an? )"
    r"|(?:not|n't) (?:equipped|able|programmed|designed) to"
    r"|as an ai|as a (?:personal |virtual |language )?(?:assistant|model)"
    r"|i (?:have|had) no (?:information|memory|memories|record|records|idea|access)"
    r"|(?:there is|there's|i found) no (?:mention|information|record|memory)"
    r"|(?:is|are) not (?:mentioned|in the notes|in my memor)"
    r"|unable to (?:answer|find|recall|determine|provide)"
    r")",
    re.IGNORECASE,
)


def is_refusal(reply: str) -> bool:
    """A reply that declines, parrots an assistant identity or says it does not know."""
    return bool(_REFUSAL.search(" ".join(reply.replace("’", "'").split())))


def stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


@dataclass(frozen=True)
class ReplyCheck:
    verdict: Verdict
    memory: Memory | None  # the used memory that answers the question (None: none does)
    support: float  # share of the reply's content words found in the question or the memories

    @property
    def flagged(self) -> bool:
        """The reply missed what a used memory says: show that memory under it."""
        return self.memory is not None and self.verdict in FLAGGED

    def card(self) -> str:
        """ "From your memory, 8 May 2023: …" (empty when nothing is flagged)."""
        if not self.flagged or self.memory is None:
            return ""
        m = self.memory
        return f"From your memory, {m.event_time:%-d %B %Y}: {' '.join(m.text.split())}"


def answering_memory(question: str, used: Sequence[Memory]) -> Memory | None:
    """The used memory that shares the most of the question's content words (at least half)
    and says something beyond them; the higher-ranked one on a tie."""
    asked = stems(question)
    if not asked:
        return None
    best: Memory | None = None
    best_overlap = 0.0
    for memory in used:
        words = stems(memory.text)
        overlap = len(asked & words) / len(asked)
        if overlap >= MIN_QUESTION_OVERLAP and words - asked and overlap > best_overlap:
            best, best_overlap = memory, overlap
    return best


def check_reply(question: str, reply: str, used: Sequence[Memory]) -> ReplyCheck:
    """Whether `reply` reflects the used memory that answers `question`.

    - refusal: the reply declines although a memory answers;
    - ignored: the reply holds none of the answering memory's own words (those not in the
      question), e.g. general knowledge about the topic instead of what the user said;
    - unsupported: most of the reply's content words are in neither the question nor any used
      memory.
    """
    memory = answering_memory(question, used)
    said = stems(reply)
    known = stems(question).union(*(stems(m.text) for m in used)) if used else stems(question)
    support = len(said & known) / len(said) if said else 0.0
    if memory is None:
        return ReplyCheck("no_answer_in_memory", None, support)
    if is_refusal(reply):
        return ReplyCheck("refusal", memory, support)
    if not said & (stems(memory.text) - stems(question)):
        return ReplyCheck("ignored", memory, support)
    if support < MIN_REPLY_SUPPORT:
        return ReplyCheck("unsupported", memory, support)
    return ReplyCheck("ok", memory, support)


def check_used(
    question: str, reply: str, used: Sequence[Recalled], stopped: bool = False
) -> ReplyCheck | None:
    """The check of a finished reply against the recalled memories in its prompt (None when Stop
    cut the reply short: half a reply is not a miss)."""
    return None if stopped else check_reply(question, reply, [r.memory for r in used])

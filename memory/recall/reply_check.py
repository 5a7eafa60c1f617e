"""Check a reply against the memories it was given, without a second generation.

A small model often has the answer in its prompt and still replies with a refusal, general
knowledge, or a fluent invention: a title, a place, a number or a relative no memory mentions, or
a claim a memory says the opposite of (MEASURED.md, issue 21). When the check flags a reply, the
window shows the memory that answers (or the closest one) under it as a correction — "I may be
wrong — from your memory, 8 May 2023: …" — and `ask --json` reports the verdict. Pure text
arithmetic (memory/recall/reply_claims.py): microseconds, no model, the same verdict on reload.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from memory.consolidation.grounding import content_words
from memory.recall.reply_claims import (
    Claim,
    Known,
    invented_dates,
    invented_numbers,
    specifics,
    stem,
    unbacked_claims,
)
from memory.records import Memory, Recalled

Verdict = Literal[
    "ok", "refusal", "ignored", "unsupported", "invented", "contradicted", "no_answer_in_memory"
]
FLAGGED: frozenset[str] = frozenset(
    {"refusal", "ignored", "unsupported", "invented", "contradicted"}
)
# Flagged even when no memory answers the question (the card then shows the closest memory).
FLAGGED_WITHOUT_ANSWER: frozenset[str] = frozenset({"invented", "contradicted"})
# The share of the question's content words a memory must hold to count as answering it.
MIN_QUESTION_OVERLAP = 0.5
# Below this share of its content words found in the question or the used memories, a reply
# says something the memories do not (general knowledge, an invented detail).
MIN_REPLY_SUPPORT = 0.5
CARD_PREFIX = "I may be wrong — "

_REFUSAL = re.compile(
    r"\b(?:"
    r"i (?:do not|don't|dont|cannot|can't|can not|could not|couldn't) "
    r"(?:remember|recall|know|find|see|help|access|say|tell|answer|provide|determine)"
    r"|i(?:'m| am) (?:sorry|afraid|not sure|not able|unable|not aware|just an? )"
    r"|(?:not|n't) (?:equipped|able|programmed|designed) to"
    r"|as an ai|as a (?:personal |virtual |language )?(?:assistant|model)"
    r"|i (?:have|had) no (?:information|memory|memories|record|records|idea|access)"
    r"|i don't have (?:that|this|any)"
    r"|(?:there is|there's|i found) no (?:mention|information|record|memory)"
    r"|(?:is|are) not (?:mentioned|in the notes|in my memor)"
    r"|unable to (?:answer|find|recall|determine|provide)"
    r")",
    re.IGNORECASE,
)
# A question about the user's own past or life ("Where does my sister live?", "What did I say
# about…"), not a request for advice or a task ("How do I…", "Can you…").
_PERSONAL = re.compile(
    r"\b(?:my|mine|did i|was i|were we|have i|had i|did we|i (?:told|said|mentioned|went|did|was"
    r"|had|saw|read|watched|bought|met|visited))\b",
    re.IGNORECASE,
)
_ADVICE = re.compile(
    r"^\s*(?:how (?:do|can|should|would|could) i|should i|can you|could you|would you|please"
    r"|tell me (?:a|an|some)|write|give me|help)\b",
    re.IGNORECASE,
)


# A memory quoted the way the extractive answer and the card quote it: "27 April 2023: “…”".
_QUOTED = re.compile(r"(?:\b\d{1,2} [A-Z][a-z]+ \d{4}: )?“[^”]*”")
_WHEN = re.compile(r"^\s*(?:when|what (?:day|date|time|year|month))\b", re.IGNORECASE)


def is_refusal(reply: str) -> bool:
    """A reply that declines, parrots an assistant identity or says it does not know (a memory
    it quotes, “…”, is the user's words, not the reply's: "I don't have any time" there is not
    a refusal)."""
    own = re.sub(r"“[^”]*”", " ", reply)
    return bool(_REFUSAL.search(" ".join(own.replace("’", "'").split())))


def about_own_past(question: str) -> bool:
    """The question asks about the user's own life or what they said, not for help."""
    text = question.replace("’", "'")
    return bool(_PERSONAL.search(text)) and not _ADVICE.search(text)


def stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def card_text(memory: Memory, answers: bool = True) -> str:
    """The correction shown under a flagged reply, with the memory's date and words."""
    said = f"from your memory, {memory.event_time:%-d %B %Y}: {' '.join(memory.text.split())}"
    if answers:
        return CARD_PREFIX + said
    return f"{CARD_PREFIX}I don't have that in your memory. The closest, {said[5:]}"


@dataclass(frozen=True)
class ReplyCheck:
    verdict: Verdict
    memory: Memory | None  # the memory the card shows: the one that answers, else the closest
    support: float  # share of the reply's content words found in the question or the memories
    claims: tuple[Claim, ...] = ()  # what the reply says that no memory backs
    answers: bool = True  # `memory` answers the question (False: only the closest one)

    @property
    def flagged(self) -> bool:
        """The reply missed or contradicts what the memories say: show a memory under it."""
        if self.verdict not in FLAGGED:
            return False
        return self.memory is not None or self.verdict in FLAGGED_WITHOUT_ANSWER

    def card(self) -> str:
        """ "I may be wrong — from your memory, 8 May 2023: …" (empty when nothing is flagged)."""
        if not self.flagged:
            return ""
        if self.memory is None:
            return f"{CARD_PREFIX}nothing in your memory says this."
        return card_text(self.memory, self.answers)


def answering_memories(question: str, used: Sequence[Memory]) -> list[Memory]:
    """The used memories that share at least half of the question's content words and say
    something beyond them, most shared first (the higher-ranked one on a tie)."""
    asked = stems(question)
    if not asked:
        return []
    scored: list[tuple[float, int, Memory]] = []
    for rank, memory in enumerate(used):
        words = stems(memory.text)
        overlap = len(asked & words) / len(asked)
        if overlap >= MIN_QUESTION_OVERLAP and words - asked:
            scored.append((-overlap, rank, memory))
    return [m for _, _, m in sorted(scored, key=lambda t: (t[0], t[1]))]


def answering_memory(question: str, used: Sequence[Memory]) -> Memory | None:
    """The used memory that answers the question best (see `answering_memories`), if any."""
    found = answering_memories(question, used)
    return found[0] if found else None


def check_reply(question: str, reply: str, used: Sequence[Memory]) -> ReplyCheck:
    """Whether `reply` reflects the used memories, in this order:

    - refusal: the reply declines although a memory answers;
    - contradicted: a memory says the opposite of one of the reply's claims;
    - invented: the reply names a person, title, place, number, date or relation that neither
      the question nor any used memory says (checked when a memory answers the question or the
      question is about the user's own past);
    - ignored: the reply holds none of the used memories' own words (those not in the
      question), e.g. general knowledge about the topic instead of what the user said;
    - unsupported: most of the reply's content words are in neither the question nor any used
      memory.
    """
    memory = answering_memory(question, used)
    said = stems(reply)
    # A memory's date is what it says too: "On 3 June" answers "When did I…?" from it.
    known_stems = stems(question).union(*(stems(f"{m.text} {m.event_time:%A %B}") for m in used))
    support = len(said & known_stems) / len(said) if said else 0.0
    personal = memory is not None or about_own_past(question)
    refusal = is_refusal(reply)
    claims: tuple[Claim, ...] = ()
    if personal and not refusal:
        # What the reply quotes from a memory, with its date, is the memory's by construction.
        own_words = _QUOTED.sub(" ", reply)
        known = Known.of(question, [(m.text, m.event_time) for m in used])
        claims = tuple(unbacked_claims(own_words, known))
        if memory is not None and _WHEN.match(question):  # the date must be the answer's own
            own = Known.of(question, [(memory.text, memory.event_time)])
            dates = [*invented_numbers(own_words, own), *invented_dates(own_words, own)]
            claims += tuple(c for c in dates if c not in claims)
    shown, answers = (memory, True) if memory is not None else (_closest(used), False)
    if any(c.kind == "contradiction" for c in claims):
        return ReplyCheck("contradicted", shown, support, claims, answers)
    if memory is None:
        if claims:
            return ReplyCheck("invented", shown, support, claims, answers)
        return ReplyCheck("no_answer_in_memory", None, support)
    if refusal:
        return ReplyCheck("refusal", memory, support)
    if claims and not (
        all(c.kind in ("name", "number", "date") for c in claims)
        and _gives(reply, memory, question)
    ):
        return ReplyCheck("invented", memory, support, claims)
    if not said & (known_stems - stems(question)):
        return ReplyCheck("ignored", memory, support, claims)
    if support < MIN_REPLY_SUPPORT:
        return ReplyCheck("unsupported", memory, support, claims)
    return ReplyCheck("ok", memory, support, claims)


def _gives(reply: str, memory: Memory, question: str) -> bool:
    """The reply gives most of the answering memory's own specifics (its names, titles,
    numbers beyond the question's): an extra detail around them ("Kung Pao Chicken, a Chinese
    dish") does not make the answer wrong, so it is listed in `claims` without a card. A
    relation or a contradiction is still flagged; a "when" question must give the memory's own
    date."""
    own = specifics(memory.text) - {w.lower() for w in re.findall(r"[\w']+", question)}
    if not own:
        return False
    said = specifics(reply) | {w.lower().strip("'") for w in re.findall(r"[\w']+", reply)}
    if _WHEN.match(question):
        return False
    return len(own & said) * 2 > len(own)  # most of them: a name alone is not the answer


def _closest(used: Sequence[Memory]) -> Memory | None:
    return used[0] if used else None


def check_used(
    question: str, reply: str, used: Sequence[Recalled], stopped: bool = False
) -> ReplyCheck | None:
    """The check of a finished reply against the recalled memories in its prompt (None when Stop
    cut the reply short: half a reply is not a miss)."""
    return None if stopped else check_reply(question, reply, [r.memory for r in used])

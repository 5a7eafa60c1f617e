"""An answer that cannot invent what is in memory: lead with the memory's own words and date.

With the "extractive" prompt style, a question about the user's own past that one used memory
clearly answers (memory/recall/reply_check.py's `answering_memory`) gets a reply that starts with
that memory, quoted with its date; the model only phrases around it, and its words are kept only
when the reply check passes them. A question about the user's past that no memory answers gets
"I don't have that in your memory" and the closest memory, unless the model's reply names
nothing the memories do not say and is made of their words (the memory that answers may use
other words than the question).
Other messages (requests, general questions, small talk) go to the model as with "compact".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from memory.recall.reply_check import (
    MIN_REPLY_SUPPORT,
    about_own_past,
    answering_memories,
    check_reply,
    is_refusal,
)
from memory.records import Memory

NOT_IN_MEMORY = "I don't have that in your memory."
_QUESTION = re.compile(
    r"^\s*(?:who|whom|whose|what|when|where|which|why|how|did|do|does|is|are|was|were|have|has"
    r"|had|can|could|would|will)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?") or bool(_QUESTION.match(text))


def quoted(memory: Memory) -> str:
    """A memory as the reply quotes it: its date and its words."""
    return f"{memory.event_time:%-d %B %Y}: “{' '.join(memory.text.split())}”"


@dataclass(frozen=True)
class Lead:
    """How an extractive reply begins, and whether the model is asked to go on."""

    text: str
    memory: Memory | None  # the memory quoted (None: no memory at all to show)
    answers: bool  # the memory answers the question; False: none does by its words


def lead_for(question: str, used: Sequence[Memory]) -> Lead | None:
    """The memory-first start of a reply to `question`, or None when the model answers alone."""
    if not is_question(question):
        return None
    found = answering_memories(question, used)
    if found:
        # A second memory that answers as well is quoted too: word overlap cannot always tell
        # "I'm reading at home" from "I'm reading a book called To Live". Not an older one
        # after a newer: "I live in Paris" under "The user lives in Berlin" is what changed.
        second = found[1] if len(found) > 1 else None
        fresh = second is not None and second.event_time >= found[0].event_time
        also = f" And {quoted(second)}" if second is not None and fresh else ""
        return Lead(f"From your memory, {quoted(found[0])}{also}", found[0], True)
    if not about_own_past(question):
        return None
    if not used:
        return Lead(NOT_IN_MEMORY, None, False)
    return Lead(f"{NOT_IN_MEMORY} The closest, from {quoted(used[0])}", used[0], False)


def keep_unled(question: str, phrased: str, used: Sequence[Memory]) -> bool:
    """Whether the model's own reply may stand when no memory answers by its words: it refuses
    nothing, names nothing no memory says, and most of its words are in the memories (the
    memory may answer in other words: "I loved Gulangyu Island" for "my favorite attraction")."""
    if not used or is_refusal(phrased):
        return False
    check = check_reply(question, phrased, used)
    return not check.flagged and not check.claims and check.support >= MIN_REPLY_SUPPORT


def compose(lead: Lead, question: str, phrased: str, used: Sequence[Memory]) -> str:
    """The reply: the lead, then the model's phrasing when the check finds nothing wrong in it
    (a refusal, an invented specific or a contradiction is dropped, the memory stays)."""
    phrased = phrased.strip()
    if not phrased or phrased in ("(no answer)", "(stopped)"):
        return lead.text
    check = check_reply(question, phrased, used)
    if check.verdict != "ok":
        return lead.text
    if lead.answers and lead.memory is not None:
        # Under a memory that answers, the phrasing may only say what the quoted memories say:
        # "Your home is in Paris" under "The user lives in Berlin" drew on an older memory.
        quoted_only = [m for m in used if m.text in lead.text] or [lead.memory]
        if check_reply(question, phrased, quoted_only).verdict != "ok":
            return lead.text
    return f"{lead.text}\n\n{phrased}"

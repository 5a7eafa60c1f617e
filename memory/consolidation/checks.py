"""Writing checks on what consolidation stores: the faults a word-level grounding test passes.

A loop of grounded words is still a loop; "her" without her person names nobody; "loves" is
not what a user who said "likes" said; a request ("show me a code block") is not a trait; and
markdown is not text. Each check is a pure function so the steps and the bench share them.
"""

from __future__ import annotations

import re

from memory.consolidation.grounding import content_words, stem

_TOKEN = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("’", "'"))


def looping(text: str, n: int = 3, times: int = 3) -> bool:
    """A phrase of `n`+ words, one of them a content word, said `times`+ times ("moved to
    Berlin, moved to Berlin, ...")."""
    tokens = words(text)
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i : i + n])
        if not content_words(" ".join(gram)):
            continue  # "the user said" opening three sentences is a frame, not a loop
        counts[gram] = counts.get(gram, 0) + 1
        if counts[gram] >= times:
            return True
    return False


_MARKDOWN = re.compile(r"\*\*|__|`|^\s*#{1,6}\s|\[[^\]]*\]\([^)]*\)|^\s*[-*+]\s", re.M)


def strip_markdown(text: str) -> str:
    """Bold, code, headings, links and bullets taken off, the words kept."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"```.*?(```|$)", " ", text, flags=re.S)
    text = re.sub(r"^\s*#{1,6}\s+", "", text, flags=re.M)
    text = text.replace("**", "").replace("__", "").replace("`", "")
    return " ".join(text.split())


def has_markdown(text: str) -> bool:
    return bool(_MARKDOWN.search(text))


_PRONOUN = re.compile(r"\b(?:she|her|hers|herself|he|him|his|himself)\b", re.I)
RELATIONS = (
    "wife husband partner boyfriend girlfriend fiance fiancee fiancé fiancée son daughter kid "
    "kids child children mother mom mum father dad parent parents sister brother sibling "
    "siblings grandmother grandfather grandma grandpa aunt uncle cousin niece nephew friend "
    "friends boss colleague colleagues coworker roommate neighbour neighbor teacher doctor "
    "baby girl boy woman man lady guy mentor"
).split()
# Capitalised words that name nobody (sentence openers, pronouns, the user, calendar words).
_NOT_A_PERSON = set(
    """the they them their user users i i'm he she his her it its this that these those we you
    my a an in on at and but so then when while after before also today yesterday tomorrow
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december""".split()
)


def names_a_person(text: str) -> bool:
    """A name (a capitalised word that is not a sentence opener) or a relation word."""
    lowered = set(words(text))
    if lowered & set(RELATIONS):
        return True
    return any(w.lower() not in _NOT_A_PERSON for w in re.findall(r"\b[A-Z][a-z'’]+\b", text))


def dangling_pronoun(text: str) -> bool:
    """ "The user visits her every August": a he/she whose person the text does not name."""
    return bool(_PRONOUN.search(text)) and not names_a_person(_PRONOUN.sub(" ", text))


# Sentences that ask for something rather than say something about the speaker.
_REQUEST = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|now|hey|hi|and|also|then)[,!]?\s+)*(?:please\s+)?"
    r"(?:show|write|give|tell|explain|help|make|create|list|generate|translate|summari[sz]e|"
    r"draft|compose|find|search|calculate|convert|fix|rewrite|suggest|recommend|describe|"
    r"can you|could you|would you|will you|please)\b",
    re.I,
)


def is_request(sentence: str) -> bool:
    """ "Show me a python hello world in a code block." or a question: it states nothing."""
    body = sentence.split(":", 1)[1] if re.match(r"^[A-Z][\w .'-]{0,30}:\s", sentence) else sentence
    return body.rstrip().endswith("?") or bool(_REQUEST.match(body))


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def statements_only(text: str) -> str:
    """The text without its requests and questions; a speaker label ("Caroline: ") is kept."""
    label = ""
    match = re.match(r"^([A-Z][\w .'-]{0,30}):\s", text)
    if match:
        label, text = match.group(0), text[match.end() :]
    kept = [s for s in sentences(text) if not is_request(s)]
    return label + " ".join(kept) if kept else ""


# Words stronger than a user may have said (stems): "loves" for "likes", "always" for "often";
# and a pleasure they never said: "enjoys learning German" for "I started learning German".
_STRONG = frozenset(
    "love ador passion obsess hate despis detest favourit favorit alway never enjoy".split()
)


def intensity_drift(claim: str, source: str) -> list[str]:
    """Strong words of `claim` ("loves") that `source` never says, where it says a milder one."""
    have = {stem(w) for w in words(source)}
    drift = []
    for word in words(claim):
        key = stem(word)
        if key in _STRONG and key not in have:
            drift.append(word)
    return drift


def fault(text: str, source: str) -> str | None:
    """Why `text` must not be stored as written from `source`, or None when it may."""
    if looping(text):
        return "it repeats itself"
    if has_markdown(text):
        return "it holds markdown"
    if dangling_pronoun(text):
        return "a pronoun names nobody in it"
    drift = intensity_drift(text, source)
    if drift:
        return f"it says {drift[0]!r}, which the user did not"
    return None


def covers(summary: str, parts: list[str]) -> bool:
    """Every part is represented in the summary by at least one of its content words."""
    have = {stem(w) for w in content_words(summary)}
    return all(have & {stem(w) for w in content_words(p)} for p in parts if content_words(p))


_UNITS = (
    r"(?:week(?:end)?|month|year|night|morning|afternoon|evening|summer|winter|spring|autumn|"
    r"fall|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)
_RELATIVE_TIME = re.compile(
    rf"\b(?:yesterday|today|tonight|tomorrow|the other day|(?:last|next|this) {_UNITS}|"
    r"(?:a|an|one|two|three|four|five|six|few|\d+) (?:days?|weeks?|months?|years?) ago|"
    r"in (?:a|an|two|three|few|\d+) (?:days?|weeks?|months?|years?))\b",
    re.I,
)


def relative_time(text: str) -> bool:
    """It dates something from the moment it was said ("last week"): true then, wrong later,
    unless pinned to a date (own_words.pin_dates)."""
    return bool(_RELATIVE_TIME.search(text))

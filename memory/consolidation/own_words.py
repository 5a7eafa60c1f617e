"""Facts in the person's own words: each first-person statement, put in the third person.

"Caroline: I went to a LGBTQ support group yesterday." becomes "Caroline went to a LGBTQ
support group on 7 May 2023." No model is asked, so nothing is invented: the words are the
person's, the pronouns and verbs are turned to the third person, and a relative day ("yesterday",
"last week") is pinned to the date it was said, so the fact is still true when read a year later.

A 135M model extracted 21 facts from a LoCoMo conversation, recall 0.06 (docs/benchmarks.md);
these are the facts the user stated, each one, kept where the model's are unsure. A sentence is
kept when it says something about its speaker: a first-person subject, three content words, not
a question or a request, and not a reply about the other person ("I love that you ...").
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from memory.consolidation.checks import is_request, sentences
from memory.consolidation.grounding import content_words
from memory.consolidation.slots import SlotValue, label, slot_values

MIN_CONTENT_WORDS = 3
MAX_CHARS = 300
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|my|me|mine|myself|we|our|us)\b", re.I)
_I = re.compile(r"\bI\b|\bi\b(?=\s*(?:'|’|am\b|was\b|have\b))")
# The other person: a sentence about them is a reply, not a fact about the speaker.
_ABOUT_THEM = re.compile(r"\b(?:you|your|yours|yourself|u|ya)\b", re.I)
# Openers that carry no fact ("Yeah, I ..." keeps "I ...").
_OPENER = re.compile(
    r"^(?:(?:(?:hi|hello|hey),? (?:ai companion|ai|there|friend)|oh|ah|wow|yeah|yes|yep|no|"
    r"nope|well|haha|lol|hey|hi|hmm|ok|okay|so|and|but|honestly|totally|actually|thanks|"
    r"thank you|aw+|omg|of course|sure|definitely)\b[,!.]?\s+)+",
    re.I,
)
# A short lead-in before a colon, with no one in it: "Big news:", "Update:", "Guess what:".
_HEADLINE = re.compile(r"^(?!(?:[\w']+\s){0,2}(?:I|my|we|our)\b)(?:[A-Za-z']+\s?){1,3}:\s+")
# "Gonna continue my edu": the speaker is the subject the sentence left out.
_NO_SUBJECT = re.compile(
    r"^(gonna|going to|planning to|hoping to|trying to|thinking about)\b", re.I
)
# A request tacked on to a statement: "I am allergic to peanuts, so please remember that".
_ASKS = re.compile(r"[,;]\s*(?:so |and |but )?(?:please|can you|could you|would you)\b.*$", re.I)
# "Caroline, since I last ...": the name spoken to is not the subject.
_VOCATIVE = re.compile(
    r"^(?!(?:Yesterday|Today|Tonight|Tomorrow|Last|Next|This|Then|Now|Recently)\b)"
    r"[A-Z][a-z]+,\s+(?=[a-zI])"
)
ADVERBS = set(
    """really also just still always never usually often recently finally actually totally
    definitely even only sometimes already absolutely truly mostly currently now both
    probably certainly normally generally last first once ever rarely hardly barely almost
    kinda literally seriously""".split()
)
# Verb forms that do not change in the third person.
_FIXED = set(
    """can could will would should might must may shall did was had went got saw made took
    felt found gave told said thought bought met ran began came knew left lost wrote won became
    brought built caught chose drew drove ate fell forgot heard held kept led meant paid put
    sat sent slept spent stood taught understood wore set sold sang swam grew flew hung hurt
    let lit quit rode rang shot shut spoke stuck threw woke used cannot can't couldn't won't
    wouldn't shouldn't didn't wasn't hadn't mightn't mustn't gotta gonna wanna""".split()
)
_BE_HAVE = {
    "am": "is", "'m": "is", "’m": "is", "have": "has", "'ve": "has", "’ve": "has",
    "do": "does", "don't": "doesn't", "don’t": "doesn't", "'d": "would", "’d": "would",
    "'ll": "will", "’ll": "will", "haven't": "hasn't", "haven’t": "hasn't", "go": "goes",
}  # fmt: skip
_PLURAL = {"is": "are", "was": "were", "has": "have", "does": "do", "doesn't": "don't"}


def _third_verb(verb: str) -> str:
    low = verb.lower()
    if low in _BE_HAVE:
        return _BE_HAVE[low]
    if low in _FIXED or low.endswith("ed") or not low.isalpha():
        return verb
    if re.search(r"(?:s|sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


_SUBJECT_VERB = re.compile(
    r"\b(?:I|i)(?:(['’](?:m|ve|d|ll))|\s+((?:(?:" + "|".join(sorted(ADVERBS)) + r")\s+)*)"
    r"([A-Za-z'’]+))"
)


def _swap_subject(text: str, who: str) -> str:
    """ "I" and its verb in the third person: the first as `who`, the rest as "they"."""
    seen = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        subject = who if seen == 1 else "they"
        if m.group(1):  # I'm, I've, I'd, I'll
            verb = _third_verb(m.group(1))
            verb = _PLURAL.get(verb, verb) if subject == "they" else verb
            return f"{subject} {verb}"
        adverbs, verb = m.group(2) or "", m.group(3)
        if subject == "they":
            low = verb.lower()
            verb = {"am": "are", "was": "were"}.get(low, verb)
        else:
            verb = _third_verb(verb)
        return f"{subject} {adverbs}{verb}"

    return _SUBJECT_VERB.sub(repl, text)


def _object(who: str) -> str:
    return who if who != "The user" else "the user"


def _swap_objects(text: str, who: str, whose: str) -> str:
    first_my = True

    def my(m: re.Match[str]) -> str:
        nonlocal first_my
        out = whose if first_my and who not in text[: m.start()] else "their"
        first_my = False
        return out

    text = re.sub(r"\bmy\b", my, text, flags=re.I)
    text = re.sub(r"\bmyself\b", "themselves", text, flags=re.I)
    text = re.sub(r"\bmine\b", "theirs", text, flags=re.I)
    text = re.sub(
        r"\bme\b(?!-)",
        lambda m: "them" if who.lower() in text[: m.start()].lower() else _object(who),
        text,
    )
    text = re.sub(r"\bourselves\b", "themselves", text, flags=re.I)
    text = re.sub(r"\bour\b", "their", text, flags=re.I)
    group = f"{who} and others" if who != "The user" else "the user and others"
    said = {"n": 0}

    def we(m: re.Match[str]) -> str:
        said["n"] += 1
        verb = {"": "", "re": " are", "ve": " have", "d": " would", "ll": " will"}
        tail = verb[(m.group(1) or "")[1:]]
        return (group if said["n"] == 1 else "they") + tail

    def us(m: re.Match[str]) -> str:
        said["n"] += 1
        return group if said["n"] == 1 else "them"

    text = re.sub(r"\b[Ww]e(?:(['’](?:re|ve|d|ll))|\b)", we, text)
    return re.sub(r"\bus\b", us, text)


def _months(when: datetime, n: int) -> str:
    index = when.year * 12 + when.month - 1 + n
    return datetime(index // 12, index % 12 + 1, 1).strftime("%B %Y")


def _day(when: datetime) -> str:
    return f"{when.day} {when.strftime('%B %Y')}"


_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
# A season's first month (meteorological, northern hemisphere): winter runs December-February.
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}


def _season(name: str, said: datetime, which: str) -> str:
    """ "last|this|next <season>" said on `said`, as "in spring 2026" ("in winter 2025-2026"):
    last, the latest that began before the season it was said in; next, the first after it;
    this, the one it was said in, else the one that begins in that year."""
    start = _SEASONS[name.lower()]
    month = said.year * 12 + said.month - 1  # months since year 0
    present = month - (said.month % 12) % 3  # the first month of the season it was said in
    begins = [y * 12 + start - 1 for y in range(said.year - 2, said.year + 3)]
    if which == "last":
        first = max(b for b in begins if b < present)
    elif which == "next":
        first = min(b for b in begins if b > present)
    else:
        first = present if present in begins else said.year * 12 + start - 1
    year = first // 12
    label = "fall" if name.lower() == "fall" else ("autumn" if start == 9 else name.lower())
    return f"in {label} {year}-{year + 1}" if start == 12 else f"in {label} {year}"


def pin_dates(text: str, said: datetime) -> str:
    """ "yesterday" -> "on 7 May 2023" (said on 8 May 2023); "last year" -> "in 2022"."""
    d = said
    rules: list[tuple[str, str]] = [
        (r"\blast night\b", f"on the night of {_day(d - timedelta(days=1))}"),
        (r"\byesterday\b", f"on {_day(d - timedelta(days=1))}"),
        (r"\bthe day before yesterday\b", f"on {_day(d - timedelta(days=2))}"),
        (r"\btomorrow\b", f"on {_day(d + timedelta(days=1))}"),
        (r"\b(?:today|tonight)\b", f"on {_day(d)}"),
        (r"\bthis (morning|afternoon|evening)\b", rf"on the \1 of {_day(d)}"),
        (r"\blast (week(?:end)?)\b", rf"the \1 before {_day(d)}"),
        (r"\bnext (week(?:end)?)\b", rf"the \1 after {_day(d)}"),
        (r"\blast month\b", f"in {_months(d, -1)}"),
        (r"\bnext month\b", f"in {_months(d, 1)}"),
        (r"\bthis month\b", f"in {_months(d, 0)}"),
        (r"\blast year\b", f"in {d.year - 1}"),
        (r"\bnext year\b", f"in {d.year + 1}"),
        (r"\bthis year\b", f"in {d.year}"),
        (r"\b(a few|a couple of|two|three|four|five|six|\d+) (days|weeks|months|years) ago\b",
         rf"\1 \2 before {_day(d)}"),
    ]  # fmt: skip
    for n, name in enumerate(_WEEKDAYS):
        back = (d.weekday() - n - 1) % 7 + 1  # the last such day before the one said
        ahead = (n - d.weekday() - 1) % 7 + 1
        rules += [
            (rf"\blast {name}\b", f"on {_day(d - timedelta(days=back))}"),
            (rf"\b(?:this|next) {name}\b", f"on {_day(d + timedelta(days=ahead))}"),
        ]
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text, flags=re.I)
    return re.sub(
        r"\b(last|this|next) (spring|summer|autumn|fall|winter)\b",
        lambda m: _season(m.group(2), d, m.group(1).lower()),
        text,
        flags=re.I,
    )


_PINNED = re.compile(
    r"\b(?:on |in )?(?:the )?(?:(?:night|morning|afternoon|evening) of |(?:week|weekend) "
    r"(?:before|after) |(?:a few|a couple of|two|three|four|five|six|\d+) (?:days|weeks|months|"
    r"years) before )?(?:\d{1,2} )?(?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December|spring|summer|autumn|fall|winter)? ?\d{4}(?:-\d{4})?\b|"
    r"\band others\b"
)


_GROUP = re.compile(r"\b((?:[Tt]he user|[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)?) and others)\b")


def others_once(text: str, *, near: bool = False) -> str:
    """A summary of several statements names each "X and others" once and says "they" after,
    so the group's name does not repeat through it like a loop. `near`: only where the group
    was named in the same or the sentence before (an overview's sentences are from different
    days, and "They saw an exhibition" would point at another day's group)."""
    seen: dict[str, int] = {}  # group -> the sentence it was last named in

    def once(m: re.Match[str]) -> str:
        key = m.group(1).lower()
        before = text[: m.start()]
        sentence = len(re.findall(r"[.!?](?:\s|$)", before))
        last = seen.get(key)
        seen[key] = sentence
        if last is None or (near and sentence - last > 1):
            return m.group(1)
        start = m.start() == 0 or before.rstrip().endswith((".", "!", "?"))
        return "They" if start else "they"

    return _GROUP.sub(once, text)


def unpinned(fact: str) -> str:
    """The fact without what the third person added: pinned dates and "and others"."""
    return " ".join(_PINNED.sub(" ", fact).split())


def _stated(sentence: str) -> str:
    """The sentence's statement part ("Yeah, I went ..." -> "I went ..."), or ""."""
    s = _OPENER.sub("", sentence.strip()).strip()
    s = _HEADLINE.sub("", s)  # "Big news: I moved …" states "I moved …"
    s = _ASKS.sub("", s).strip()  # "…, so please remember that for recipes" asks, not states
    if not s or is_request(s) or s.endswith("?") or _ABOUT_THEM.search(s):
        return ""
    s = _NO_SUBJECT.sub(lambda m: f"I'm {m.group(1).lower()}", s)
    s = _VOCATIVE.sub("", s)
    if not _FIRST_PERSON.search(s):
        return ""
    # A name spoken to is left out of the count: "I totally agree, Mel" says nothing.
    bare = re.sub(r",\s*[A-Z][\w'’-]*[.!]*$", " ", _FIRST_PERSON.sub(" ", s))
    if len(content_words(bare)) < MIN_CONTENT_WORDS and not slot_values(s):
        return ""  # short, unless it sets a slot: "I am allergic to peanuts" is a fact
    return s


def third_person(sentence: str, subject: str = "", said: datetime | None = None) -> str:
    """A first-person sentence in the third person, with `subject` ("" is the user) named and
    its relative days pinned to `said`."""
    who = subject or "The user"
    whose = f"{who}'s"
    text = _swap_subject(sentence, who)
    text = _swap_objects(text, who, whose)
    text = pin_dates(text, said) if said is not None else text
    text = text.strip()
    text = text[:1] + text[1:].replace("The user", "the user")
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!")) else text + "."


def own_word_facts(text: str, said: datetime | None = None) -> list[tuple[str, list[SlotValue]]]:
    """(fact, the slot values its sentence sets) for each statement the text makes about its
    speaker, in the order said."""
    subject, body = label(text)
    out: list[tuple[str, list[SlotValue]]] = []
    for sentence in sentences(body):
        stated = _stated(sentence)
        if not stated:
            continue
        fact = third_person(stated[:MAX_CHARS], subject, said)
        values = slot_values(f"{subject}: {stated}" if subject else stated)
        out.append((fact[:-1] + "." if fact.endswith("!") else fact, values))
    return out

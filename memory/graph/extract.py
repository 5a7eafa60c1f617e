"""Entities named in a memory, found by rules on the CPU (no model, no download): capitalised
names, relation words ("my sister", "my dog Max"), events ("the support group"), speaker-aware.

Why rules and not spaCy: spaCy's English models are not published on the package index by
spaCy (the copies there are third-party uploads, one a likely squat), and a rule pass costs
microseconds a memory, so ingest speed holds. docs/benchmarks.md measures what it gives recall.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

PERSON, PLACE, ORG, PET, THING, EVENT = "person", "place", "org", "pet", "thing", "event"
KINDS = (PERSON, PLACE, ORG, PET, THING, EVENT)

# Relation words: "my sister" names a person, someone's sister, until a name is given.
RELATIONS = frozenset(
    "sister brother mom mother dad father wife husband son daughter friend boss partner "
    "girlfriend boyfriend grandma grandmother grandpa grandfather aunt uncle cousin niece "
    "nephew fiance fiancee colleague coworker roommate neighbor neighbour mentor teacher "
    "therapist doctor kids children parents family".split()
)
PETS = frozenset("dog cat puppy kitten pet horse rabbit hamster parrot bird turtle".split())
# Events and groups named by common nouns ("the support group", "a charity race").
EVENT_NOUNS = frozenset(
    "festival party conference concert wedding race trip group workshop class camp "
    "parade marathon tournament game show exhibition retreat meetup ceremony funeral "
    "vacation holiday birthday graduation interview competition fair".split()
)
ORG_WORDS = frozenset(
    "inc corp company university college school club church hospital bank institute "
    "foundation center centre agency museum team band academy society association".split()
)
PLACE_CUES = frozenset("in at to from near visited visit visiting around across".split())
# Possessives a pet follows ("her dog Pixel"); a person's relation follows only "my" and "our"
# (whose sister "her sister" is, the rules cannot tell).
_PET_OWNERS = frozenset("my our her his their your".split())
# Capitalised words that open sentences or are capitalised anyway, never names on their own.
COMMON = frozenset(
    """i i'm i've i'd i'll im ive me my mine we us our you your yours he him his she her hers
    it its they them their this that these those there here what when where who whom why how
    which whose the a an and or but so if then than because as of on in at to for from with by
    about into over after before during while since until up down out off again also just
    yes no not oh ok okay hey hi hello wow thanks thank yeah yep nope sure well great cool
    bye dear awesome nice good love sounds sorry congrats congratulations haha lol omg amazing
    really
    definitely absolutely totally glad happy hope maybe please let let's do does did don't
    can can't could would should will won't is are was were be been being have has had am
    it's that's there's what's how's anyway speaking btw by the way one some any all every
    each many much more most other another such same new old first last next today tomorrow
    yesterday tonight morning evening night weekend week month year monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august
    september october november december mr mrs ms dr""".split()
)
HOLIDAYS = frozenset(
    "christmas thanksgiving easter halloween hanukkah diwali ramadan eid pride".split()
)
_WORK = frozenset("job work works worked working intern internship position role career".split())
_MOVES = frozenset("moved move moving went go going travelled traveled trip flew drove".split())

# "Caroline: I went to ..." -- the label imported turns carry (as memory.recall.fusion reads it;
# repeated here so the graph does not import recall, which imports the graph).
_SPEAKER = re.compile(r"^([A-Z][\w'.-]{0,30}(?: [A-Z][\w'.-]{0,30}){0,2}): ")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_TOKEN = re.compile(r"[A-Za-z][\w'&-]*(?:\.[A-Za-z][\w'&-]*)*|\S")
_CAP = re.compile(r"^[A-Z][\w'&.-]*$")
# Common words that open a place name when a name follows ("New York", "San Diego").
_NAME_OPENERS = frozenset("new san los las st saint north south east west great united".split())
_CONNECT = frozenset({"of", "de", "the", "&"})
_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class Mention:
    """One entity named in a text: `name` as written, `kind`, and `relation` when it was
    introduced by a relation word ("sister" in "my sister Ana"), owned by `owner`."""

    name: str
    kind: str
    relation: str | None = None
    owner: str | None = None
    # One capitalised word opening a sentence ("Seeing", "Joanna"): a name only if it is
    # known already (the resolver decides); sentence case alone says nothing.
    initial: bool = False


_Add = Callable[[Mention], None]


def normalise(name: str) -> str:
    """An alias key: lower case, possessive 's and punctuation at the ends dropped."""
    words = _WORD.findall(name.lower())
    if words and words[-1].endswith("'s"):
        words[-1] = words[-1][:-2]
    return " ".join(w.strip("'") for w in words if w.strip("'"))


def relation_alias(owner: str | None, relation: str) -> str:
    """The alias a relation gives: "caroline's sister", or "my sister" for the user's own."""
    return f"{normalise(owner)}'s {relation}" if owner else f"my {relation}"


def speaker_of(text: str) -> str | None:
    """The speaker label at the start of an imported turn, if any."""
    match = _SPEAKER.match(text)
    return match.group(1) if match else None


def extract(text: str, speaker: str | None = None) -> list[Mention]:
    """The entities `text` names, each once, in order. `speaker` (or the "Name: " label of an
    imported turn) owns the relation words; the speaker is not listed (the caller links it)."""
    label = speaker_of(text)
    if label:
        speaker = speaker or label
        text = text[len(label) + 1 :]
    found: dict[str, Mention] = {}

    def add(m: Mention) -> None:
        key = (
            normalise(m.name)
            if m.relation is None or m.name
            else relation_alias(m.owner, m.relation)
        )
        if not key or (speaker and key == normalise(speaker)):
            return
        old = found.get(key)
        if (
            old is None
            or (old.relation is None and m.relation is not None)
            or (old.initial and not m.initial)
        ):
            found[key] = m

    for sentence in _SENTENCE.split(text):
        tokens = _TOKEN.findall(sentence)
        _relations(tokens, speaker, add)
        _names(tokens, add)
        _events(tokens, add)
    return list(found.values())


def _relations(tokens: list[str], speaker: str | None, add: _Add) -> None:
    """ "my sister (Ana)", "my dog Max", "her brother": a relation word after a possessive."""
    for i, tok in enumerate(tokens[:-1]):
        low = tok.lower()
        # "my sister", and "the user's sister" as facts and summaries say it.
        users = low == "user's" and i > 0 and tokens[i - 1].lower() == "the"
        pets_only = not users and low not in ("my", "our")
        if pets_only and low not in _PET_OWNERS and not (low.endswith("'s") and _CAP.match(tok)):
            continue
        j = i + 1
        while j < len(tokens) - 1 and tokens[j].lower() in (
            "new",
            "little",
            "big",
            "older",
            "younger",
            "best",
            "old",
            "baby",
        ):
            j += 1
        noun = (
            tokens[j].lower().rstrip("s")
            if tokens[j].lower() not in RELATIONS
            else tokens[j].lower()
        )
        name = _name_at(tokens, j + 1)
        if noun in PETS and not name:  # "my cat is called Miso", "my dog, named Rex"
            k = j + 1
            while k < len(tokens) and k <= j + 4 and tokens[k].lower() not in ("called", "named"):
                k += 1
            name = _name_at(tokens, k + 1) if k < len(tokens) and k <= j + 4 else None
        if noun in PETS and not name and i >= 2 and tokens[i - 1] == ",":
            name = _name_before(tokens, i - 1)  # "Pixel, Joanna's dog"
        if noun in PETS and name:
            add(Mention(name, PET))
        elif pets_only:
            continue
        elif tokens[j].lower() in RELATIONS or noun in RELATIONS:
            relation = tokens[j].lower()
            add(Mention(name or "", PERSON, relation, None if users else speaker))


def _name_at(tokens: list[str], i: int) -> str | None:
    """A capitalised name starting at token i (", Ana" allowed), else None."""
    if i < len(tokens) and tokens[i] == ",":
        i += 1
    parts: list[str] = []
    while i < len(tokens) and _CAP.match(tokens[i]) and tokens[i].lower() not in COMMON:
        parts.append(tokens[i].rstrip("."))
        i += 1
    return " ".join(parts) or None


def _name_before(tokens: list[str], end: int) -> str | None:
    """The capitalised name ending just before token `end`, else None."""
    start = end
    while start > 0 and _CAP.match(tokens[start - 1]) and tokens[start - 1].lower() not in COMMON:
        start -= 1
    return " ".join(t.rstrip(".") for t in tokens[start:end]) or None


def _names(tokens: list[str], add: _Add) -> None:
    """Runs of capitalised words ("Joanna", "New York", "University of Michigan"), typed by
    their words and the word before them."""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        opener = (
            tok.lower() in _NAME_OPENERS
            and i + 1 < len(tokens)
            and _CAP.match(tokens[i + 1]) is not None
            and tokens[i + 1].lower() not in COMMON
        )
        if not _CAP.match(tok) or (tok.lower() in COMMON and not opener) or _contraction(tok):
            i += 1
            continue
        j = i + 1
        while j < len(tokens):
            if _CAP.match(tokens[j]) and tokens[j].lower() not in COMMON:
                j += 1
            elif (
                tokens[j].lower() in _CONNECT
                and j + 1 < len(tokens)
                and _CAP.match(tokens[j + 1])
                and tokens[j + 1].lower() not in COMMON
            ):
                j += 2
            else:
                break
        words = [t.rstrip(".") for t in tokens[i:j]]
        name = " ".join(words)
        initial = j == i + 1 and (i == 0 or tokens[i - 1] in ('"', "'", "(", "-", ":"))
        before = tokens[i - 1].lower() if i > 0 else ""
        if before == "to" and (i < 2 or tokens[i - 2].lower() not in _MOVES):
            before = ""  # "talked to Ana" is a person; "moved to Lisbon" a place
        if before in ("at", "for") and i >= 2 and tokens[i - 2].lower() in _WORK:
            before = "work"  # "a new job at Acme", "works for Initech": an organisation
        add(Mention(name, _kind_of(words, before), initial=initial))
        i = j


def _contraction(token: str) -> bool:
    """ "You're", "They've", "Won't": a pronoun or verb, never a name ("Ana's" is a name)."""
    low = token.lower()
    return "'" in low and not low.endswith("'s")


def _kind_of(words: list[str], before: str) -> str:
    low = [w.lower() for w in words]
    if low[-1] in ORG_WORDS or low[0] in ORG_WORDS or before == "work":
        return ORG
    if low[-1] in EVENT_NOUNS or low[0] in HOLIDAYS:
        return EVENT
    if before in PLACE_CUES or " ".join(low) in known_places():
        return PLACE
    if len(words) > 1 and all(w.isupper() for w in words):
        return ORG
    if words[0].isupper() and len(words[0]) > 1:
        return THING  # an acronym: LGBTQ, NASA
    return PERSON


@cache
def known_places() -> frozenset[str]:
    """Countries, US states and cities of 300,000 people or more, less names that are also
    common first names (those need a cue: "in Sydney"). Made by packaging/make_places.py."""
    text = resources.files("memory.graph").joinpath("places.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _events(tokens: list[str], add: _Add) -> None:
    """ "the support group", "a charity race": up to two lower-case words before an event noun."""
    for i, tok in enumerate(tokens):
        low = tok.lower()
        if low.rstrip("s") not in EVENT_NOUNS and low not in EVENT_NOUNS:
            continue
        if _CAP.match(tok):
            continue  # part of a capitalised name, found by _names
        words = [low.rstrip("s") if low not in EVENT_NOUNS else low]
        k = i - 1
        while k >= 0 and len(words) < 2:
            prev = tokens[k].lower()
            if not prev.isalpha() or prev in COMMON or prev in RELATIONS:
                break
            words.insert(0, prev)
            k -= 1
        if len(words) >= 2:
            add(Mention(" ".join(words), EVENT))

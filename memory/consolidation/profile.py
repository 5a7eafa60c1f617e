"""The persona as a structured profile, assembled from what the user said (no model needed).

A 135M model cannot write a grounded persona (MEASURED.md), so the persona is never left to it
alone: every profile entry is a phrase cut from one of the user's own statements (or an extracted
fact), so it is grounded by construction. A capable model's prose goes on top (consolidator).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from memory.consolidation.grounding import content_words

SECTIONS = (
    ("who", "Who"),
    ("home", "Home"),
    ("work", "Work"),
    ("people", "People"),
    ("pets", "Pets"),
    ("likes", "Likes"),
    ("dislikes", "Dislikes"),
    ("health", "Health"),
    ("plans", "Plans"),
    ("answers", "Answers"),
)
PER_SECTION = 4  # the newest entries of each section
_REST = r"([^.;!?\n]{2,80})"  # a phrase up to the end of its clause
_PEOPLE = (
    r"wife|husband|partner|boyfriend|girlfriend|fianc[ée]e?|son|daughter|kids|children|mother|"
    r"mom|mum|father|dad|parents|sister|brother|siblings|grandmother|grandfather|grandma|"
    r"grandpa|aunt|uncle|cousin|niece|nephew|(?:best )?friends?|boss|colleagues?|roommate"
)
_PETS = r"dog|cat|puppy|kitten|parrot|bird|rabbit|bunny|hamster|guinea pig|fish|horse|turtle|pet"
_RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("who", re.compile(r"\bmy name is ([A-Z][\w'-]+(?: [A-Z][\w'-]+)?)"), "name {0}"),
    ("who", re.compile(r"\bi(?:'m| am) (\d{1,3}) years? old\b"), "{0} years old"),
    (
        "home",
        re.compile(r"\bi (?:now )?(?:live|am living|'m living|reside) (in|at|near) " + _REST, re.I),
        "lives {0} {1}",
    ),
    (
        "home",
        re.compile(r"\bi (?:just |recently )?(?:moved|relocated) to " + _REST, re.I),
        "moved to {0}",
    ),
    ("home", re.compile(r"\bi(?:'m| am) (?:originally )?from " + _REST, re.I), "from {0}"),
    (
        "work",
        re.compile(r"\bi (?:now )?(?:work|am working|'m working) (as|at|for|in) " + _REST, re.I),
        "works {0} {1}",
    ),
    ("work", re.compile(r"\bmy (job|work) is " + _REST, re.I), "{0} is {1}"),
    ("work", re.compile(r"\bi(?:'m| am) studying " + _REST, re.I), "studying {0}"),
    ("people", re.compile(r"\bmy (" + _PEOPLE + r")\b" + r"([^.;!?\n]{0,60})", re.I), "{0}{1}"),
    ("pets", re.compile(r"\bmy (" + _PETS + r")\b" + r"([^.;!?\n]{0,60})", re.I), "{0}{1}"),
    (
        "pets",
        re.compile(r"\bi have an? (" + _PETS + r")\b" + r"([^.;!?\n]{0,60})", re.I),
        "has a {0}{1}",
    ),
    ("likes", re.compile(r"\bmy favou?rite " + _REST, re.I), "favourite {0}"),
    (
        "likes",
        re.compile(r"\bi (?:really |absolutely )?(?:love|like|enjoy|adore) " + _REST, re.I),
        "{0}",
    ),
    (
        "dislikes",
        re.compile(
            r"\bi (?:really )?(?:hate|dislike|can't stand|cannot stand|don't like|do not like) "
            + _REST,
            re.I,
        ),
        "{0}",
    ),
    ("health", re.compile(r"\bi(?:'m| am) allergic to " + _REST, re.I), "allergic to {0}"),
    (
        "health",
        re.compile(
            r"\bi (?:have|suffer from|was diagnosed with) "
            r"(asthma|diabetes|migraines?|an? [\w ]{0,30}(?:allergy|injury|condition|disease))",
            re.I,
        ),
        "{0}",
    ),
    (
        "health",
        re.compile(r"\bi(?:'m| am) (vegetarian|vegan|pregnant|diabetic|lactose intolerant)", re.I),
        "{0}",
    ),
    ("plans", re.compile(r"\bi(?:'m| am) (?:going|planning|hoping) to " + _REST, re.I), "{0}"),
    ("plans", re.compile(r"\bi (?:plan|want|hope|intend) to " + _REST, re.I), "{0}"),
    (
        "answers",
        re.compile(r"\b(?:keep|make) (?:your |the )?(?:answers|replies|responses) " + _REST, re.I),
        "{0}",
    ),
    (
        "answers",
        re.compile(
            r"\bi (?:prefer|like) (short|brief|detailed|long|concise|simple) "
            r"(?:answers|replies|responses)",
            re.I,
        ),
        "{0} answers",
    ),
]
# Third-person facts ("The user lives in Leeds.") read as the user's own words.
_FACT_SUBJECT = [
    (re.compile(r"\bthe user's\b", re.I), "my"),
    (re.compile(r"\bthe user is\b", re.I), "I am"),
    (re.compile(r"\bthe user has\b", re.I), "I have"),
]
_FACT_VERB = re.compile(r"\bthe user (\w+)", re.I)
_PRONOUNS = [
    (re.compile(r"\bmy\b", re.I), "their"),
    (re.compile(r"\bI(?:'m| am)\b"), "they are"),
    (re.compile(r"\bme\b", re.I), "them"),
    (re.compile(r"\bI\b"), "they"),
]


@dataclass
class Profile:
    entries: dict[str, list[str]] = field(default_factory=dict)

    def add(self, section: str, phrase: str) -> None:
        items = self.entries.setdefault(section, [])
        key = phrase.lower()
        items[:] = [i for i in items if i.lower() != key] + [phrase]  # newest last

    def __bool__(self) -> bool:
        return any(self.entries.values())

    def lines(self) -> list[str]:
        """One line per section, in a fixed order: "Home: lives in Lisbon."."""
        out = []
        for key, title in SECTIONS:
            items = self.entries.get(key, [])[-PER_SECTION:]
            if items:
                out.append(f"{title}: {'; '.join(items)}.")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


# Sentence ends, and clause joins before a new "I ..." ("... peanuts and I love hiking").
_CLAUSES = re.compile(r"(?<=[.!?\n])\s+|,?\s+(?:and|but|so)\s+(?=I\b|my\b)|,\s+(?=I\b)")


def _first_person(verb: str) -> str:
    """ "lives" -> "live", "watches" -> "watch", "studies" -> "study"; "moved" stays."""
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes")):
        return verb[:-2]
    if verb.endswith("s") and not verb.endswith("ss"):
        return verb[:-1]
    return verb


def from_fact(fact: str) -> str:
    text = fact
    for pattern, repl in _FACT_SUBJECT:
        text = pattern.sub(repl, text, count=1)
    return _FACT_VERB.sub(lambda m: "I " + _first_person(m.group(1)), text, count=1)


def _clean(phrase: str) -> str:
    phrase = " ".join(phrase.split()).strip(" ,:-'\"")
    for pattern, repl in _PRONOUNS:
        phrase = pattern.sub(repl, phrase)
    phrase = re.sub(r"\s+(?:and|but|so|because|which|who|when)$", "", phrase)
    return phrase


def build_profile(statements: Sequence[str], facts: Sequence[str] = ()) -> Profile:
    """Every self-description found in `statements` (the user's words, oldest first) and in
    extracted `facts`; questions are skipped (they state nothing)."""
    profile = Profile()
    for text in [*(from_fact(f) for f in facts), *statements]:
        for sentence in _CLAUSES.split(text):
            if sentence.rstrip().endswith("?"):
                continue
            for section, pattern, template in _RULES:
                for match in pattern.finditer(sentence):
                    phrase = _clean(template.format(*(g or "" for g in match.groups())))
                    if content_words(phrase) or (section == "answers" and phrase):
                        profile.add(section, phrase)
    return profile


def profile_claims(text: str) -> list[str]:
    """The claims of a profile text: each entry with its section title taken off (the grounding
    test checks these against what the user said)."""
    titles = tuple(f"{t}:" for _, t in SECTIONS)
    claims = []
    for line in text.splitlines():
        if line.startswith(titles):
            body = line.split(":", 1)[1].strip().rstrip(".")
            claims += [c.strip() for c in body.split(";") if c.strip()]
    return claims

"""The profile's slots, read from what a person said in their own words (no model needed).

"I moved from Paris to Berlin" sets home to Berlin whether or not a Paris fact was ever
extracted: each single-valued slot (home, work, diet, a partner, a sister's name, a dog's name)
holds the newest statement, and the consolidator supersedes the fact that held the old value, so
history is kept and the persona never shows two homes. Many-valued slots (likes, health,
plans) collect distinct values. A 135M model cannot be relied on to extract these (MEASURED.md);
patterns over the user's words are exact, and a larger model's facts are added beside them.
"""

# The pattern tables read best one rule per line, a few past the line limit.
# ruff: noqa: E501

from __future__ import annotations

import re
from dataclasses import dataclass

from memory.consolidation.checks import is_request, sentences
from memory.consolidation.grounding import content_words

_NAME = r"([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)"
_PLACE = r"((?:the |a )?[A-Z][\w'’.-]*(?:[ ,]+(?:[A-Z][\w'’.-]*|de|del|la|le|am|upon|on))*)"
_REST = r"([^.;!?\n]{2,60}?)"
_END = r"(?=\s*(?:$|[.;!?\n]|,|\s(?:and|but|so|because|since|where|with|last|next|this|now|"
_END += r"after|before|for|in \d|two|three|a few|some)\b))"
# "action and comedy movies": a second thing liked, not a second clause ("and I ...").
_AND_THING = r"(?: and (?!(?:I|i|we|my|it|then|they|he|she|you|also|so|now)\b)(?:[\w'-]+ ?){1,3}?)?"
ONE_RELATIONS = {
    "wife": "partner", "husband": "partner", "partner": "partner", "boyfriend": "partner",
    "girlfriend": "partner", "fiance": "partner", "fiancé": "partner", "fiancee": "partner",
    "fiancée": "partner", "spouse": "partner", "mother": "mother", "mom": "mother",
    "mum": "mother", "father": "father", "dad": "father", "boss": "boss",
}  # fmt: skip
MANY_RELATIONS = (
    "sister brother son daughter cousin aunt uncle niece nephew grandmother grandfather grandma "
    "grandpa friend best friend roommate colleague neighbour neighbor"
).split()
PETS = "dog cat puppy kitten parrot bird rabbit bunny hamster guinea pig horse turtle tortoise"
_RELATION = "|".join(sorted([*ONE_RELATIONS, *MANY_RELATIONS], key=len, reverse=True))
_PET = "|".join(sorted(PETS.split(), key=len, reverse=True))
DIETS = (
    "vegetarian|vegan|pescatarian|pescetarian|keto|gluten[- ]free|lactose intolerant|"
    "dairy[- ]free|halal|kosher"
)
SINGLE = {"home", "work", "diet", "name", "age"}  # plus every "people:" and "pet:" slot
MANY = {"likes", "dislikes", "health", "plans", "answers"}


@dataclass(frozen=True)
class SlotValue:
    """One slot value a person stated: `subject` "" is the user, else a speaker's name."""

    subject: str
    slot: str  # home | work | diet | name | age | people:<relation> | pet:<kind> | likes | ...
    value: str  # as said ("Berlin", "as a nurse at a children's hospital", "Jo")
    text: str  # the fact stored for it, in the third person
    correction: bool = False  # "actually ..." / "is called" / "renamed": replaces, never adds

    @property
    def single(self) -> bool:
        """One value at a time: a home, a partner, a dog's name (two sisters are two values)."""
        if self.slot.startswith("people:"):
            return self.slot.removeprefix("people:") in ONE_RELATIONS.values()
        return self.slot in SINGLE or self.slot.startswith(("pet:", "favourite:"))

    @property
    def replaces(self) -> bool:
        """A newer value replaces the slot's current one (a correction always does)."""
        return self.single or self.correction

    @property
    def slot_id(self) -> str:
        return f"{self.subject}|{self.slot}"

    @property
    def key(self) -> str:
        """Two statements with the same key say the same thing."""
        return f"{self.slot_id}|{norm(self.value)}"


def norm(value: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", value.lower()).split())


def _who(subject: str) -> tuple[str, str]:
    """(subject, possessive): ("The user", "The user's") or ("Caroline", "Caroline's")."""
    name = subject or "The user"
    return name, f"{name}'s"


def _clean(value: str) -> str:
    value = " ".join(value.split()).strip(" ,:-'\".!?;")
    value = re.sub(r"\s+(?:now|again|too|as well|already)$", "", value, flags=re.I)
    value = re.sub(r"^(?:my|our)\s+", "their ", value, flags=re.I)
    return re.sub(r"\b(?:my|our)\b", "their", value, flags=re.I)


def _third(subject: str, verb_phrase: str) -> str:
    who, _ = _who(subject)
    return f"{who} {verb_phrase}."


# (slot, pattern, value group, text template); templates use {who}, {whose}, {v}, {g1}.
_Rule = tuple[str, re.Pattern[str], str]
_RULES: list[_Rule] = [
    ("home", re.compile(r"\b(?:[Ii]|[Ww]e) (?:have )?(?:just |recently |finally )?(?:moved|relocated)"
                        r"(?: (?:back|house|here|over))?(?: from [^.;!?\n]{2,40}?)? to " + _PLACE
                        + _END), "{who} lives in {v}"),
    ("home", re.compile(r"\b(?:[Ii]|[Ww]e) (?:now |still |currently )?(?:live|am living|'m living|"
                        r"reside|am based|'m based) (?:in|at|near) " + _PLACE + _END),
     "{who} lives in {v}"),
    ("home", re.compile(r"\b(?:[Mm]y|[Oo]ur) (?:new )?(?:home|house|flat|apartment) is in " + _PLACE
                        + _END), "{who} lives in {v}"),
    ("work", re.compile(r"\b[Ii] (?:now |currently |still )?(?:work|am working|'m working) "
                        r"((?:as|at|for) [^.;!?\n]{2,60}?)" + _END), "{who} works {v}"),
    ("work", re.compile(r"\b[Ii] (?:just |recently )?(?:got|started|took|accepted|landed) (?:a |my )?"
                        r"(?:new )?job (as|at|with) ([^.;!?\n]{2,60}?)" + _END),
     "{who} works {g1} {v}"),
    ("work", re.compile(r"\b[Ii] (?:just |recently )?started (?:working|to work) (as|at|for) "
                        r"([^.;!?\n]{2,60}?)" + _END), "{who} works {g1} {v}"),
    ("work", re.compile(r"\b[Mm]y (?:new )?job is (?:as )?(an? [^.;!?\n]{2,50}?)" + _END),
     "{who} works as {v}"),
    ("diet", re.compile(r"\b[Ii](?:'m| am| have| have become|'ve become| became| went| turned)"
                        r"(?: now| fully| completely| strictly)? (" + DIETS + r")\b", re.I),
     "{who} is {v}"),
    ("diet", re.compile(r"\b[Ii](?:'m| am) (?:no longer|not) (" + DIETS + r")(?: anymore)?\b", re.I),
     "{who} is no longer {v}"),
    ("name", re.compile(r"\b[Mm]y name is " + _NAME), "{whose} name is {v}"),
    ("age", re.compile(r"\b[Ii](?:'m| am| just turned| turned) (\d{1,3})(?: years old)?\b(?! ?%)"),
     "{who} is {v} years old"),
    ("health", re.compile(r"\b[Ii](?:'m| am) (?:very |severely |badly )?(allergic to [^.;!?\n]{2,40}?)"
                          + _END, re.I), "{who} is {v}"),
    ("health", re.compile(r"\b[Ii] (?:have|suffer from|was diagnosed with) (asthma|diabetes|"
                          r"migraines?|an? [\w -]{0,30}(?:allergy|injury|condition|disease))",
                          re.I), "{who} has {v}"),
    ("likes", re.compile(r"\b[Ii] (?:really |absolutely |also )?(love|like|enjoy|adore) "
                         r"([^.;!?\n]{2,50}?" + _AND_THING + r"(?:,? (?:especially|particularly|"
                         r"mostly) [^.;!?\n,]{2,30}?)?)" + _END, re.I), "{who} {verb} {v}"),
    ("likes", re.compile(r"\b[Mm]y favou?rite ([a-z]+(?: [a-z]+)?) is ([^.;!?\n]{2,40}?)" + _END,
                         re.I), "{whose} favourite {g1} is {v}"),
    ("dislikes", re.compile(r"\b[Ii] (?:really )?(hate|dislike|can't stand|cannot stand|don't like|"
                            r"do not like) ([^.;!?\n]{2,50}?)" + _END, re.I),
     "{who} {verb} {v}"),
    ("plans", re.compile(r"\b[Ii](?:'m| am) (?:going|planning|hoping) to ([^.;!?\n]{2,60})", re.I),
     "{who} plans to {v}"),
    ("answers", re.compile(r"\b(?:keep|make) (?:your |the )?(?:answers|replies|responses) "
                           r"(short|brief|detailed|simple|concise)", re.I),
     "{who} prefers {v} answers"),
]  # fmt: skip
_RELATION_NAME = [
    # "my sister Jo", "my sister, Jo,", "my dog Rex"
    re.compile(r"\b(?:[Mm]y|[Oo]ur) (?:little |older |younger |big |new )?(" + _RELATION + "|" + _PET
               + r"),? " + _NAME + r"\b"),
    # "my sister is called Jo", "my dog's name is Rex", "actually my sister is named Joanna"
    re.compile(r"\b(?:[Mm]y|[Oo]ur) (?:little |older |younger |big |new )?(" + _RELATION + "|" + _PET
               + r")(?:'s name)? is (?:now )?(?:called |named )?" + _NAME + r"\b"),
    # "we renamed our dog Max", "I renamed my cat to Luna"
    re.compile(r"\brenamed (?:[Mm]y|[Oo]ur|[Tt]he) (" + _RELATION + "|" + _PET + r")(?: to)? "
               + _NAME + r"\b(?! to\b)"),
    # "I have a dog named Rex", "we adopted a cat called Luna"
    re.compile(r"\b(?:have|got|adopted|rescued) an? (?:new )?(" + _PET + r") (?:named|called) "
               + _NAME + r"\b"),
    # "I'm dating Sam", "I married Alex", "I got engaged to Kim"
    re.compile(r"\b(?:[Ii](?:'m| am) (?:now )?(?:dating|seeing|engaged to|married to)|[Ii] married|"
               r"[Ii] got engaged to|[Ii](?:'m| am) in a relationship with) " + _NAME + r"\b"),
    # "renamed our dog from Rex to Max", "renamed our dog Rex to Max" (last: it wins)
    re.compile(r"\brenamed (?:[Mm]y|[Oo]ur|[Tt]he) (" + _RELATION + "|" + _PET + r")"
               r"(?:(?: from)? [A-Z][\w'’-]+)? to " + _NAME + r"\b"),
]  # fmt: skip
_THIRD = {
    "love": "loves", "like": "likes", "enjoy": "enjoys", "adore": "adores", "hate": "hates",
    "dislike": "dislikes", "can't stand": "can't stand", "cannot stand": "can't stand",
    "don't like": "doesn't like", "do not like": "doesn't like",
}  # fmt: skip
_CORRECTION = re.compile(r"\b(?:actually|sorry|correction|i meant|renamed)\b|, not \w+", re.I)
# A like that answers the other person ("I love that you chose pottery", "love how you ...").
_REACTION = re.compile(
    r"^(?:how|that|what|when|it|this|these|those|seeing|hearing|to (?:see|hear)|the way)\b"
    r"|\b(?:you|your|yours)\b",
    re.I,
)
_NOT_NAMES = {"I", "The", "She", "He", "They", "We", "It", "And", "But", "So", "This", "That"}


def label(text: str) -> tuple[str, str]:
    """(speaker, text) of a labelled turn ("Caroline: I went ..."), ("", text) otherwise."""
    match = re.match(r"^([A-Z][\w'’-]*(?: [A-Z][\w'’-]*)?):\s+", text)
    if not match or match.group(1).lower() in _HEADLINES:
        return ("", text)
    return (match.group(1), text[match.end() :])


# "Update: my dog is called Rex": a lead-in the user wrote, not a speaker's name.
_HEADLINES = frozenset(
    "update news note reminder fyi ps edit todo idea plan goal question answer summary fact "
    "info also btw tip warning important correction re subject today yesterday tomorrow".split()
) | {"big news", "good news", "bad news", "quick update", "fun fact"}


def _relation_values(subject: str, sentence: str) -> list[SlotValue]:
    who, whose = _who(subject)
    out = []
    for n, pattern in enumerate(_RELATION_NAME):
        for m in pattern.finditer(sentence):
            if n == 4:  # dating / married: the partner
                relation, name = "partner", m.group(1)
            else:
                relation, name = m.group(1).lower(), m.group(2)
            if name.split()[0] in _NOT_NAMES:
                continue
            if relation in PETS.split():
                slot, text = f"pet:{relation}", f"{whose} {relation} is called {name}."
            else:
                said = "partner" if n == 4 else relation
                slot = f"people:{ONE_RELATIONS.get(relation, relation)}"
                text = f"{whose} {said} is called {name}."
            correction = n in (2, 5) or bool(_CORRECTION.search(sentence))
            out.append(SlotValue(subject, slot, name, text, correction))
    return out


# A plan for this very chat or day ("next spring" is a plan worth keeping).
_MOMENT = re.compile(r"\b(?:now|today|tonight|tomorrow|you|your)\b", re.I)


def slot_values(text: str) -> list[SlotValue]:
    """Every slot value a statement sets, in the order said; requests and questions skipped."""
    subject, body = label(text)
    out: list[SlotValue] = []
    for sentence in sentences(body):
        request = is_request(sentence)  # states nothing, but may say how to answer
        for slot, pattern, template in _RULES:
            if request and slot != "answers":
                continue
            for m in pattern.finditer(sentence):
                groups = [g or "" for g in m.groups()]
                value = _clean(groups[-1])
                if not value or (slot == "home" and value.split()[0] in _NOT_NAMES):
                    continue
                if slot not in ("age", "answers") and not content_words(value):
                    continue  # "I like it": says nothing yet
                if slot in ("likes", "dislikes") and _REACTION.match(value):
                    continue  # "I love how you tell it": a reply to someone, not a taste
                if slot == "plans" and _MOMENT.search(value):
                    continue  # "going to have dinner now and talk to you tomorrow": a goodbye
                who, whose = _who(subject)
                g1 = groups[0].lower() if len(groups) > 1 else ""
                verb = _THIRD.get(g1, g1)
                fact = template.format(who=who, whose=whose, v=value, g1=g1, verb=verb)
                shown = f"{verb} {value}" if "{verb}" in template else value
                named = f"favourite:{g1}" if "favourite {g1}" in template else slot
                out.append(SlotValue(subject, named, shown, fact[0].upper() + fact[1:] + "."))
        out += _relation_values(subject, sentence)
    return _dedupe(out)


def _dedupe(values: list[SlotValue]) -> list[SlotValue]:
    """One value per key within a statement (the last said wins); order kept."""

    def key(v: SlotValue) -> str:
        return v.slot_id if v.replaces else v.key

    last = {key(v): i for i, v in enumerate(values)}
    return [v for i, v in enumerate(values) if last[key(v)] == i]

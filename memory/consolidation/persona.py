"""The persona on every model: grounded prose where the model can write it, over a profile
assembled from what the user said (memory/consolidation/profile.py), so it is never empty once
the user has described themselves and never says what they did not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from memory.consolidation.checks import relative_time
from memory.consolidation.grounding import content_words, support
from memory.consolidation.hierarchy import HierarchyStore
from memory.consolidation.profile import SECTIONS, build_profile, current
from memory.consolidation.slots import slot_values
from memory.consolidation.steps import describe_persona, turns_text, update_global_summary
from memory.errors import StepFailed
from memory.records import Kind, Memory, State
from models.protocols import LLM

# Every prose sentence must have this share of its content words in what the user said
# (describe_persona's own check lets 0.6 through; the persona is shown and prompted as fact).
PROSE_SUPPORT = 0.75
MAX_STATEMENTS = 5000  # the newest turns and notes the profile reads


@dataclass(frozen=True)
class Persona:
    text: str
    failure: StepFailed | None = None  # why there is no prose (the profile stands alone)


def split_persona(text: str) -> tuple[str, str]:
    """(prose, profile) of a persona text: profile lines start with a section title."""
    titles = tuple(f"{t}:" for _, t in SECTIONS)
    lines = text.splitlines()
    prose = [line for line in lines if line.strip() and not line.startswith(titles)]
    profile = [line for line in lines if line.startswith(titles)]
    return " ".join(prose).strip(), "\n".join(profile)


def _prose_sentences(text: str) -> list[str]:
    """A persona's prose as sentences, without their final stops."""
    return [s.strip().rstrip(".") for s in text.replace("!", ".").split(". ") if s.strip()]


def grounded_sentences(text: str, source: str) -> str:
    """Only the sentences of `text` whose content words are (nearly all) in `source`, and that
    say who the user is rather than when something happened: "moved to Berlin last week" is
    stale a week later (the fact and the summary keep the event, dated)."""
    sentences = _prose_sentences(text)
    kept = [s for s in sentences if support(s, source) >= PROSE_SUPPORT and not relative_time(s)]
    return ". ".join(kept) + "." if kept else ""


def timeless(prose: str) -> str:
    """`prose` without its sentences dated from when they were said (a persona from before)."""
    if not relative_time(prose):
        return prose
    sentences = _prose_sentences(prose)
    kept = [s for s in sentences if not relative_time(s)]
    return ". ".join(kept) + "." if kept else ""


def stale_words(statements: Sequence[str]) -> set[str]:
    """Words of slot values the person has since replaced ("paris" once they said they moved to
    Berlin) that no value holding now says: a sentence using one describes the past."""
    values = [v for text in statements for v in slot_values(text)]
    now = current(values)
    held = {w for v in now for w in content_words(v.text)}
    replaced = [v for v in values if v not in now and v.replaces]
    return {w for v in replaced for w in content_words(v.value)} - held


_NEWER = frozenset("moved now new changed switched became started renamed".split())


def drop_stale(text: str, stale: set[str]) -> str:
    """`text` without its sentences that use a replaced value; a sentence that also names the
    value that replaced it ("moved from Paris to Berlin") says what changed, and stays."""
    if not stale:
        return text
    sentences = [s.strip() for s in text.replace("!", ".").split(". ") if s.strip()]
    kept = [
        s.rstrip(".")
        for s in sentences
        if not stale & set(content_words(s)) or _NEWER & set(content_words(s.lower()))
    ]
    return ". ".join(kept) + "." if kept else ""


def join(prose: str, profile: str) -> str:
    return "\n".join(part for part in (prose, profile) if part)


def day_persona(llm: LLM, statements: Sequence[str]) -> Persona:
    """A day's persona: the model's prose (grounded sentences only) over the day's profile."""
    source = turns_text(statements)
    profile = build_profile(statements).text()
    try:
        prose = grounded_sentences(describe_persona(llm, source), source)
    except StepFailed as exc:
        return Persona(profile, exc)
    return Persona(join(prose, profile))


def user_statements(hierarchy: HierarchyStore, space: str | None = None) -> list[Memory]:
    """What the user said (turns and notes, faded or not), oldest first; `space`: only that
    space's (None: all)."""
    # Faded ones too: a move said in passing fades from recall sooner than "I live in Madrid"
    # does, and the profile must not fall back to Madrid when it does (forgotten ones are gone).
    said = [
        m
        for kind in (Kind.TURN, Kind.NOTE)
        for m in hierarchy.of_kind(kind, active_only=False)
        if m.state is not State.SUPERSEDED and (space is None or m.space == space)
    ]
    return sorted(said, key=lambda m: m.event_time)[-MAX_STATEMENTS:]


def global_persona(
    llm: LLM,
    hierarchy: HierarchyStore,
    previous: str,
    new_dailies: Sequence[Memory],
    *,
    space: str | None = None,
) -> Persona:
    """The whole persona: prose merged from the daily personas' prose (grounded in them), and a
    profile from every statement and fact the user has made."""
    said = [m.text for m in user_statements(hierarchy, space)]
    # The profile is the newest value of each slot in the user's own words; prose that still
    # describes a replaced value ("lives in Paris" after the move) is left out.
    profile = build_profile(said).text()
    stale = stale_words(said)
    old_prose, _ = split_persona(previous)
    new_prose = [p for p in (split_persona(d.text)[0] for d in new_dailies) if p]
    failure: StepFailed | None = None
    prose = old_prose
    if new_prose and not old_prose and len(new_prose) == 1:
        prose = new_prose[0]
    elif new_prose:
        try:
            merged = update_global_summary(llm, old_prose, new_prose)
            source = "\n".join([old_prose, *new_prose])
            prose = grounded_sentences(merged, source) or new_prose[-1]
        except StepFailed as exc:
            failure = exc
            prose = new_prose[-1]
    return Persona(join(timeless(drop_stale(prose, stale)), profile), failure)

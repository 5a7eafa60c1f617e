"""The persona on every model: a profile cut from what the user said, prose only if grounded."""

from __future__ import annotations

from memory.consolidation.checks import relative_time
from memory.consolidation.grounding import content_words, support
from memory.consolidation.persona import (
    day_persona,
    drop_stale,
    grounded_sentences,
    split_persona,
    stale_words,
    timeless,
)
from memory.consolidation.profile import build_profile, profile_claims
from tests.unit.fakes import ScriptedLLM

SAID = [
    "I work as a nurse at the children's hospital.",
    "I live in Lisbon with my wife Ana.",
    "My dog Rex loves the beach!",
    "I am allergic to peanuts and I love hiking in the mountains.",
    "Please keep your answers short, I am busy.",
    "What is my dog called?",
    "I'm planning to visit Japan next spring.",
]


def test_a_profile_has_the_sections_the_user_spoke_of() -> None:
    text = build_profile(SAID).text()
    assert text.splitlines() == [
        "Home: lives in Lisbon.",
        "Work: works as a nurse at the children's hospital.",
        "People: wife Ana.",
        "Pets: dog Rex.",
        "Likes: loves hiking in the mountains.",
        "Health: allergic to peanuts.",
        "Plans: plans to visit Japan next spring.",
        "Answers: prefers short answers.",
    ]


def test_every_profile_claim_is_in_what_the_user_said() -> None:
    source = "\n".join(SAID)
    claims = profile_claims(build_profile(SAID).text())
    assert len(claims) == 8
    for claim in claims:
        assert not content_words(claim) or support(claim, source) == 1.0, claim


def test_questions_and_small_talk_give_no_profile() -> None:
    assert not build_profile(["What is my dog called?", "Nice weather today.", "I like it."])


def test_prose_about_a_replaced_value_is_stale() -> None:
    said = ["I live in Paris and I work as a nurse.", "I moved from Paris to Berlin last week."]
    stale = stale_words(said)
    assert stale == {"paris"}
    prose = "The user lives in Paris. The user works as a nurse."
    assert drop_stale(prose, stale) == "The user works as a nurse."
    moved = "The user moved from Paris to Berlin. The user lives in Paris."
    assert drop_stale(moved, stale) == "The user moved from Paris to Berlin."  # says what changed


def test_a_day_persona_is_the_profile_when_the_prose_is_invented() -> None:
    llm = ScriptedLLM(["The user is a doctor who loves Paris. They are very kind."])
    persona = day_persona(llm, SAID)
    prose, profile = split_persona(persona.text)
    assert persona.failure is not None  # the prose failed grounding: none is kept
    assert prose == ""
    assert profile == build_profile(SAID).text()


def test_grounded_prose_goes_on_top_of_the_profile_and_invented_sentences_are_dropped() -> None:
    llm = ScriptedLLM(["The user works as a nurse and loves hiking. The user is a doctor in Rome."])
    persona = day_persona(llm, SAID)
    prose, profile = split_persona(persona.text)
    assert prose == "The user works as a nurse and loves hiking."
    assert profile.startswith("Home: lives in Lisbon")
    assert grounded_sentences("The user is a pilot.", "I work as a nurse.") == ""


def test_persona_prose_dated_from_when_it_was_said_is_left_out() -> None:
    """ "Moved to Berlin last week" is stale a week later: the persona says who the user is;
    the dated event is kept by the fact and the summary."""
    said = "Big news: I moved from Paris to Berlin last week. I work as a nurse."
    prose = "The user moved to Berlin last week. The user works as a nurse."
    assert grounded_sentences(prose, said) == "The user works as a nurse."
    assert relative_time("two weeks ago") and relative_time("Tomorrow")
    assert not relative_time("The user moved to Berlin the week before 8 January 2026.")
    assert timeless("The user met Jo yesterday. The user is kind.") == "The user is kind."

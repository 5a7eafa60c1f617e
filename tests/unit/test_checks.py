"""Writing checks: what a word-level grounding test let through."""

from __future__ import annotations

from memory.consolidation.checks import (
    dangling_pronoun,
    fault,
    has_markdown,
    intensity_drift,
    is_request,
    looping,
    statements_only,
    strip_markdown,
)

SAID = "My sister Ana lives in Lisbon and I visit her every August. I like fado."


def test_a_phrase_said_three_times_is_a_loop() -> None:
    assert looping("The user moved to Berlin, moved to Berlin, moved to Berlin.")
    assert not looping("The user moved to Berlin and moved the piano to the flat.")
    frames = "The user said they live in Madrid. The user said: I am vegetarian. The user said hi."
    assert not looping(frames)  # a frame that opens each sentence is not a loop
    assert fault("They moved to Berlin, moved to Berlin, moved to Berlin.", "moved to Berlin")


def test_a_pronoun_needs_its_person_in_the_same_text() -> None:
    assert dangling_pronoun("The user visits her every August.")
    assert not dangling_pronoun("The user visits her sister every August.")
    assert not dangling_pronoun("The user visits Ana in Lisbon; she lives there.")
    assert not dangling_pronoun("The user likes fado.")


def test_requests_are_not_statements() -> None:
    assert is_request("Show me a python hello world in a code block.")
    assert is_request("Can you write a poem?")
    assert is_request("Caroline: What do you think?")
    assert not is_request("I showed my code to a friend.")
    text = "My sister Ana lives in Lisbon. Show me a python hello world in a code block."
    assert statements_only(text) == "My sister Ana lives in Lisbon."
    assert statements_only("Ben: Tell me more!") == ""


def test_a_stronger_word_than_the_user_said_is_drift() -> None:
    assert intensity_drift("The user loves fado.", SAID) == ["loves"]
    assert intensity_drift("The user likes fado.", SAID) == []
    assert fault("The user loves fado.", SAID) == "it says 'loves', which the user did not"
    assert intensity_drift("They love it.", "I love it") == []
    # A pleasure the user never spoke of is not theirs to be given.
    started = "Last spring I started learning German."
    assert intensity_drift("The user enjoys learning German.", started) == ["enjoys"]
    assert intensity_drift("The user enjoys hiking.", "I really enjoy hiking") == []


def test_markdown_is_found_and_taken_off() -> None:
    assert has_markdown("Days: **2026-12-05** the user said")
    assert has_markdown("Use `print`")
    assert not has_markdown("The user likes fado - a lot.")
    marked = "**Bold** and [a link](http://x) and `code`"
    assert strip_markdown(marked) == "Bold and a link and code"
    assert fault("The user likes **fado**.", SAID) == "it holds markdown"


def test_a_sound_fact_has_no_fault() -> None:
    assert fault("The user's sister Ana lives in Lisbon.", SAID) is None

"""Grounding: model output may only say what its source says."""

from __future__ import annotations

import pytest

from memory.consolidation.grounding import bullets, content_words, grounded, support

SOURCE = "User: I live in Paris.\nUser: I moved here from Leeds last spring."


def test_support_compares_stems() -> None:
    assert support("The user lives in Paris.", "User: I live in Paris.") == 1.0
    assert support("The user is moving to Berlin.", "User: I moved to Berlin.") == 1.0
    assert support("The user's cats are lovely.", "User: My cat is lovely.") == 1.0


def test_frame_words_need_no_support() -> None:
    # "said", "talked", "about", "user", "enjoys" are how a summary talks, not what it claims.
    assert content_words("The user said they talked about Paris.") == ["paris"]
    assert support("The user said they talked about Paris.", SOURCE) == 1.0
    assert support("The user enjoys life in Paris and prefers short answers.", SOURCE) == 1.0


def test_invented_words_lower_support() -> None:
    assert support("The user lives in Paris with a dragon.", SOURCE) == pytest.approx(2 / 3)
    assert support("The user lives in Rome.", SOURCE) == pytest.approx(1 / 2)
    assert support("Bananas orbit purple volcanoes quietly.", SOURCE) == 0.0
    assert grounded("The user lives in Paris.", SOURCE)
    assert not grounded("The user lives in Rome.", SOURCE)
    assert grounded("The user lives in Rome.", SOURCE, threshold=0.5)


def test_a_claim_without_content_words_has_no_support() -> None:
    assert support("The user said that.", SOURCE) == 0.0
    assert support("", SOURCE) == 0.0
    assert not grounded("They talked.", SOURCE, threshold=0.01)


def test_support_ignores_case_and_possessives() -> None:
    assert support("PARIS is the user's home.", "paris home") == 1.0
    assert support("Miso's bowl", "User: Miso has a bowl") == 1.0


def test_bullets_parses_dash_star_and_numbered_lists() -> None:
    text = "- The user lives in Paris\n* The user works as a nurse.\n1. The user likes tea!\n"
    text += "2) The user has a cat called Miso\n• The user is allergic to peanuts"
    assert bullets(text) == [
        "The user lives in Paris.",
        "The user works as a nurse.",
        "The user likes tea!",
        "The user has a cat called Miso.",
        "The user is allergic to peanuts.",
    ]


def test_bullets_takes_plain_lines_too() -> None:
    assert bullets("The user lives in Paris.\n\n   \nThe user likes tea.") == [
        "The user lives in Paris.",
        "The user likes tea.",
    ]


def test_bullets_drops_duplicates_ignoring_case_and_final_stop() -> None:
    text = "- The user lives in Paris.\n* the user lives in paris\n- The user likes tea."
    assert bullets(text) == ["The user lives in Paris.", "The user likes tea."]


def test_bullets_drops_short_lines() -> None:
    assert bullets("- ok\n- Facts:\n-\n1.\n- The user likes tea.") == ["The user likes tea."]


DOCTOR = "The user's job is a doctor and lives in a hospital."
NURSE_SOURCES = [
    "The user lives in Lisbon.",
    "The user works as a nurse at the children's hospital.",
    "The user talked about their job at the hospital.",
]


def test_the_doctor_insight_is_rejected() -> None:
    """Issue 13: this reflection was stored from facts saying the user is a nurse in Lisbon.
    Its words are mostly in the sources taken together (the old check let it pass), but no
    single memory says the user's job is a doctor, or that they live in a hospital."""
    from memory.consolidation.grounding import each_clause_in_one_source
    from memory.consolidation.steps import reflect
    from memory.errors import StepFailed
    from tests.unit.fakes import ScriptedLLM

    source = "\n".join(f"- {m}" for m in NURSE_SOURCES)
    assert grounded(DOCTOR, source, 0.7)  # the whole-source check alone is fooled
    assert not each_clause_in_one_source(DOCTOR, NURSE_SOURCES, 0.75)
    with pytest.raises(StepFailed):
        reflect(ScriptedLLM([f"- {DOCTOR}\n"]), NURSE_SOURCES)


def test_an_insight_drawn_from_two_memories_passes() -> None:
    from memory.consolidation.steps import reflect
    from tests.unit.fakes import ScriptedLLM

    insight = "The user lives in Lisbon and works as a nurse at the children's hospital."
    assert reflect(ScriptedLLM([f"- {insight}\n"]), NURSE_SOURCES) == [insight]

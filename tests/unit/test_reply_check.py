"""The reply check: a used memory answers the question, does the reply reflect it?"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memory.recall.reply_check import answering_memory, check_reply, is_refusal
from memory.records import Kind, Memory, State

WHEN = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)


def memory(text: str, ident: str = "m1") -> Memory:
    return Memory(ident, Kind.TURN, text, WHEN, WHEN, 1.0, None, False, State.ACTIVE)


SISTER = memory("My sister Anna moved to Porto last week.", "sister")
CAT = memory("My cat is called Miso and she is three.", "cat")
WEATHER = memory("The weather was lovely in the park today.", "weather")


@pytest.mark.parametrize(
    "reply",
    [
        "I'm sorry, but as a personal assistant, I'm not equipped to know where your sister lives.",
        "I do not remember that.",
        "As an AI language model I have no information about your family.",
        "I don't know.",
        "There is no mention of your sister in the notes.",
    ],
)
def test_refusals_are_recognised(reply: str) -> None:
    assert is_refusal(reply)


@pytest.mark.parametrize(
    "reply", ["Your sister Anna lives in Porto.", "Miso is three years old.", "Sorry to hear!"]
)
def test_answers_are_not_refusals(reply: str) -> None:
    assert not is_refusal(reply)


def test_the_memory_that_answers_is_the_one_sharing_the_question_words() -> None:
    assert answering_memory("Where does my sister live?", [WEATHER, SISTER, CAT]) is SISTER
    assert answering_memory("What is my cat called?", [SISTER, CAT]) is CAT
    assert answering_memory("What should I cook tonight?", [SISTER, CAT]) is None
    # A memory that only repeats the question says nothing more: it answers nothing.
    assert answering_memory("my sister", [memory("My sister.")]) is None


def test_a_reply_that_uses_the_memory_passes() -> None:
    check = check_reply("Where does my sister live?", "Anna lives in Porto.", [WEATHER, SISTER])
    assert check.verdict == "ok"
    assert not check.flagged
    assert check.card() == ""


def test_a_refusal_with_the_answer_in_memory_is_flagged_with_a_card() -> None:
    check = check_reply(
        "Where does my sister live?",
        "I'm sorry, as a personal assistant I cannot know where your sister lives.",
        [WEATHER, SISTER],
    )
    assert check.verdict == "refusal"
    assert check.flagged and check.memory is SISTER
    assert check.card() == "From your memory, 3 June 2024: My sister Anna moved to Porto last week."


def test_general_knowledge_instead_of_the_memory_is_flagged_as_ignored() -> None:
    check = check_reply(
        "What is my cat called?",
        "Cats are small domesticated carnivorous mammals kept as pets.",
        [CAT],
    )
    assert check.verdict == "ignored"
    assert check.flagged


def test_an_invented_answer_that_names_one_memory_word_is_unsupported() -> None:
    check = check_reply(
        "Where does my sister live?",
        "Your sister Anna works as a pilot in Tokyo, Seoul, Bangkok and Manila.",
        [SISTER],
    )
    assert check.verdict == "unsupported"
    assert check.flagged
    assert check.support < 0.5


def test_nothing_is_flagged_when_no_memory_answers() -> None:
    check = check_reply("What should I cook tonight?", "I don't know.", [SISTER, CAT])
    assert check.verdict == "no_answer_in_memory"
    assert not check.flagged
    assert check_reply("Where does my sister live?", "Porto.", []).memory is None

"""Facts in the person's own words: the third person, pinned dates, and what is not a fact."""
# ruff: noqa: E501

from __future__ import annotations

from datetime import datetime

import pytest

from memory.consolidation.checks import looping, relative_time
from memory.consolidation.own_words import (
    others_once,
    own_word_facts,
    pin_dates,
    third_person,
    unpinned,
)

SAID = datetime(2023, 5, 8, 13, 56)  # a Monday


def facts(text: str) -> list[str]:
    return [f for f, _ in own_word_facts(text, SAID)]


@pytest.mark.parametrize(
    ("said", "fact"),
    [
        ("I live in Paris.", "The user lives in Paris."),
        ("I'm a nurse at a children's hospital.", "The user is a nurse at a children's hospital."),
        ("I've got two cats.", "The user has got two cats."),
        ("I really enjoy hiking with my sister.", "The user really enjoys hiking with their sister."),
        ("I finally watched the film.", "The user finally watched the film."),
        ("I go swimming with my kids.", "The user goes swimming with their kids."),
        ("I study chemistry at night.", "The user studies chemistry at night."),
        ("The support group made me feel accepted.", "The support group made the user feel accepted."),
        ("I can't stand loud bars and I don't drink.",
         "The user can't stand loud bars and they don't drink."),
    ],
)  # fmt: skip
def test_a_statement_reads_in_the_third_person(said: str, fact: str) -> None:
    assert third_person(said) == fact


def test_a_speaker_label_names_the_subject_and_the_possessive() -> None:
    assert facts("Caroline: I went to a LGBTQ support group yesterday and it was so powerful.") == [
        "Caroline went to a LGBTQ support group on 7 May 2023 and it was so powerful."
    ]
    assert facts("Melanie: My kids are so excited about summer break!") == [
        "Melanie's kids are so excited about summer break."
    ]


@pytest.mark.parametrize(
    ("phrase", "pinned"),
    [
        ("yesterday", "on 7 May 2023"),
        ("today", "on 8 May 2023"),
        ("tomorrow", "on 9 May 2023"),
        ("last night", "on the night of 7 May 2023"),
        ("last week", "the week before 8 May 2023"),
        ("next weekend", "the weekend after 8 May 2023"),
        ("last month", "in April 2023"),
        ("next month", "in June 2023"),
        ("last year", "in 2022"),
        ("last Friday", "on 5 May 2023"),
        ("last Monday", "on 1 May 2023"),  # said on a Monday: the one before
        ("next Saturday", "on 13 May 2023"),
        ("three days ago", "three days before 8 May 2023"),
    ],
)
def test_a_relative_day_is_pinned_to_the_day_it_was_said(phrase: str, pinned: str) -> None:
    assert pin_dates(f"went out {phrase}", SAID) == f"went out {pinned}"
    assert unpinned(f"went out {pinned}") == "went out"


@pytest.mark.parametrize(
    ("said", "phrase", "pinned"),
    [
        ("2026-12-05", "last spring", "in spring 2026"),
        ("2026-12-05", "this winter", "in winter 2026-2027"),  # said in it
        ("2026-12-05", "last winter", "in winter 2025-2026"),
        ("2026-04-10", "last spring", "in spring 2025"),  # said in spring: the one before
        ("2026-04-10", "next summer", "in summer 2026"),
        (
            "2026-01-15",
            "this winter",
            "in winter 2025-2026",
        ),  # a January's winter began in December
        ("2026-01-15", "last autumn", "in autumn 2025"),
        ("2026-07-01", "last fall", "in fall 2025"),  # said in summer 2026: fall 2025 is the last
    ],
)
def test_a_season_is_pinned_to_its_year(said: str, phrase: str, pinned: str) -> None:
    when = datetime.fromisoformat(said)
    assert pin_dates(f"moved to Lisbon {phrase}", when) == f"moved to Lisbon {pinned}"
    assert unpinned(f"moved to Lisbon {pinned}") == "moved to Lisbon"
    assert not relative_time(pin_dates(f"moved to Lisbon {phrase}", when))


@pytest.mark.parametrize(
    "text",
    [
        "What are you up to this weekend?",  # a question
        "Show me a python hello world in a code block.",  # a request
        "I love that you chose pottery!",  # about the other person
        "Your painting is lovely, I adore it.",
        "I totally agree, Mel.",  # says nothing about anyone
        "Wow, that's cool!",  # no first person
        "Thanks, Caroline!",
    ],
)
def test_what_is_not_a_fact_about_the_speaker_is_left_out(text: str) -> None:
    assert facts(text) == []


def test_we_names_the_speaker_once_and_never_loops() -> None:
    (fact,) = facts(
        "Melanie: We all have different paths, but if we share them, we show people "
        "that they're not alone."
    )
    assert fact.startswith("Melanie and others all have different paths")
    assert fact.count("Melanie") == 1 and not looping(fact)


def test_a_left_out_subject_and_a_name_spoken_to_are_read_right() -> None:
    assert facts("Caroline: Gonna continue my edu and check out career options.") == [
        "Caroline is gonna continue their edu and check out career options."
    ]
    assert facts("Melanie: Caroline, since I last wrote, I've had a lot going on at work.") == [
        "Since Melanie last wrote, they have had a lot going on at work."
    ]


def test_each_fact_carries_the_slot_values_its_sentence_set() -> None:
    ((fact, values),) = own_word_facts("I live in Paris and I work as a nurse.", SAID)
    assert fact == "The user lives in Paris and they work as a nurse."
    assert {(v.slot, v.value) for v in values} == {("home", "Paris"), ("work", "as a nurse")}


def test_a_correction_by_name_is_a_fact_and_we_said_often_is_not_a_loop() -> None:
    assert facts("Actually my sister is called Joanna, not Jo.") == [
        "The user's sister is called Joanna, not Jo."
    ]
    said = " ".join(
        facts("We moved to a flat in Valencia.")
        + facts("We met at the climbing gym downtown.")
        + facts("We love swimming in the cold sea.")
    )
    assert said.count("the user and others") + said.count("The user and others") == 3
    assert not looping(said)


def test_a_request_tacked_on_to_a_statement_is_left_out() -> None:
    assert facts("I am allergic to peanuts and cashews, so please remember that for recipes.") == [
        "The user is allergic to peanuts and cashews."
    ]


def test_a_short_statement_that_sets_a_slot_is_a_fact() -> None:
    """The issue's own sentence: two content words, but it says who the user is."""
    assert facts("I am allergic to peanuts, so please remember that for recipes.") == [
        "The user is allergic to peanuts."
    ]
    assert facts("I am vegan.") == ["The user is vegan."]
    assert facts("I totally agree, Mel.") == []  # short and about nothing


def test_a_greeting_to_the_assistant_is_not_part_of_the_fact() -> None:
    assert facts("Hi AI companion, I learned a new dish called steamed sea bass!") == [
        "The user learned a new dish called steamed sea bass."
    ]
    assert facts("Of course, first I cleaned the sea bass and cut the scallions.") == [
        "First the user cleaned the sea bass and cut the scallions."
    ]


def test_a_lead_in_before_a_colon_is_not_a_speaker() -> None:
    assert facts("Update: my dog is called Rex.") == ["The user's dog is called Rex."]
    assert facts("Big news: I moved from Paris to Berlin.") == [
        "The user moved from Paris to Berlin."
    ]
    assert facts("Caroline: I adopted a dog called Rex.") == ["Caroline adopted a dog called Rex."]


def test_a_summary_names_a_group_once_then_says_they() -> None:
    text = (
        "John and others played Fortnite. John's pals and John also played Overwatch. "
        "John and others raised a good amount, and John and others felt great."
    )
    out = others_once(text)
    assert out == (
        "John and others played Fortnite. John's pals and John also played Overwatch. "
        "They raised a good amount, and they felt great."
    )
    assert not looping(out) and looping(text)
    assert others_once("The user and others hiked. The user and others swam.") == (
        "The user and others hiked. They swam."
    )

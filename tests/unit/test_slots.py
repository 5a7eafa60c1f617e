"""Profile slots from the user's own words: the newest statement of a slot wins."""

from __future__ import annotations

import pytest

from memory.consolidation.profile import build_profile, current
from memory.consolidation.slots import slot_values


def _slots(text: str) -> dict[str, str]:
    return {v.slot: v.value for v in slot_values(text)}


@pytest.mark.parametrize(
    ("said", "slot", "value"),
    [
        ("Hi! I live in Paris and I work as a nurse.", "home", "Paris"),
        ("Big news: I moved from Paris to Berlin last week.", "home", "Berlin"),
        ("We moved to the Netherlands.", "home", "the Netherlands"),
        ("I got a new job as a teacher at Lincoln High.", "work", "a teacher at Lincoln High"),
        ("My sister Jo is visiting next weekend.", "people:sister", "Jo"),
        ("Actually my sister is called Joanna, not Jo.", "people:sister", "Joanna"),
        ("We renamed our dog Rex to Max.", "pet:dog", "Max"),
        ("I have a dog named Rex.", "pet:dog", "Rex"),
        ("I went vegan last month.", "diet", "vegan"),
        ("I'm dating Sam now.", "people:partner", "Sam"),
        ("I just turned 34.", "age", "34"),
        ("I am allergic to peanuts, so please remember that.", "health", "allergic to peanuts"),
    ],
)
def test_a_statement_sets_its_slot(said: str, slot: str, value: str) -> None:
    assert _slots(said)[slot] == value


def test_a_move_sets_home_even_when_no_home_was_ever_said() -> None:
    profile = build_profile(["I work as a nurse.", "I moved from Paris to Berlin last week."])
    assert "Home: lives in Berlin." in profile.lines()
    assert "Paris" not in profile.text()


def test_the_newest_value_of_each_slot_wins_and_the_profile_holds_one() -> None:
    said = [
        "I live in Paris. I work as a nurse at a children's hospital.",
        "My dog Rex loves the park. I am vegetarian. My sister Jo called.",
        "I moved to Lyon!",
        "I started a new job as a pilot at Air France.",
        "We renamed our dog Rex to Max.",
        "I'm vegan now.",
        "I'm dating Sam.",
        "Actually my sister is called Joanna.",
    ]
    lines = build_profile(said).lines()
    assert lines == [
        "Home: lives in Lyon.",
        "Work: works as a pilot at Air France.",
        "People: partner Sam; sister Joanna.",  # newest last: the correction came after Sam
        "Pets: dog Max.",
        "Diet: vegan.",
    ]


def test_two_sisters_are_two_values_but_a_correction_replaces() -> None:
    two = current(
        v
        for t in ["My sister Jo called.", "My sister Ana lives in Lisbon."]
        for v in slot_values(t)
    )
    assert sorted(v.value for v in two) == ["Ana", "Jo"]
    fixed = current(
        v
        for t in ["My sister Jo called.", "Sorry, my sister is called Joanna."]
        for v in slot_values(t)
    )
    assert [v.value for v in fixed] == ["Joanna"]


def test_requests_and_questions_set_no_slot_but_say_how_to_answer() -> None:
    assert _slots("Show me a python hello world in a code block.") == {}
    assert _slots("Do I live in Paris?") == {}
    assert _slots("Please keep your answers short.") == {"answers": "short"}


def test_another_speakers_words_are_about_them() -> None:
    (value,) = slot_values("Caroline: I moved to Boston two weeks ago.")
    assert (value.subject, value.slot, value.value) == ("Caroline", "home", "Boston")
    assert value.text == "Caroline lives in Boston."
    assert build_profile(["Caroline: I moved to Boston."]).lines() == [
        "Home: Caroline: lives in Boston."
    ]


def test_a_favourite_is_one_value_per_thing_and_a_reaction_is_not_a_taste() -> None:
    lines = build_profile(
        ["My favourite colour is green.", "My favourite food is sushi.", "My favourite colour "
         "is blue now.", "I love that you chose pottery!", "I love how you tell it."]
    ).lines()  # fmt: skip
    assert lines == ["Likes: favourite food is sushi; favourite colour is blue."]


def test_a_taste_keeps_what_it_is_especially() -> None:
    said = "Besides nature, I also love listening to music, especially jazz."
    assert [(v.slot, v.value) for v in slot_values(said)] == [
        ("likes", "loves listening to music, especially jazz")
    ]


def test_a_goodbye_is_not_a_plan() -> None:
    assert slot_values("I am going to have dinner now and will talk to you again tomorrow.") == []
    assert slot_values("I'm going to visit Jo tomorrow.") == []  # true today, stale after
    assert [v.value for v in slot_values("I am planning to run a marathon in May.")] == [
        "run a marathon in May"
    ]


def test_two_things_liked_stay_together_and_a_second_clause_does_not() -> None:
    def likes(said: str) -> list[str]:
        return [v.value for v in slot_values(said) if v.slot == "likes"]

    assert likes("I like action and comedy movies.") == ["likes action and comedy movies"]
    assert likes("I love hiking and I like tea.") == ["loves hiking", "likes tea"]

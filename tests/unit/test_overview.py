"""The global summary in the user's own words: each day's most specific sentences, kept."""

from __future__ import annotations

from memory.consolidation.overview import MAX_CHARS, MAX_SENTENCES, day_highlights, highlights

DAY_1 = (
    "The user is called Emily. The user really enjoys painting, playing piano and tea tasting. "
    "The user will take a look."
)
DAY_2 = (
    "Emily went for a walk in the park on 28 April 2023. Emily went to Green Meadow Park and saw "
    'a cherry blossom. Emily is currently reading a novel called "Silent Separation". '
    "Emily thinks the most interesting part is the emotional changes."
)


def test_a_day_gives_its_sentences_with_names_and_titles_in_order() -> None:
    assert day_highlights(DAY_2) == [
        "Emily went to Green Meadow Park and saw a cherry blossom.",
        'Emily is currently reading a novel called "Silent Separation".',
    ]


def test_the_subject_and_a_pinned_date_do_not_make_a_sentence_specific() -> None:
    picked = day_highlights(DAY_2, per_day=1)
    assert picked == ['Emily is currently reading a novel called "Silent Separation".']
    assert "28 April" not in " ".join(picked)


def test_earlier_days_stay_when_later_ones_come() -> None:
    overview = highlights("", [DAY_1])
    overview = highlights(overview, [DAY_2])
    assert "called Emily" in overview  # the first day is not pushed out by the second
    assert "Green Meadow Park" in overview
    assert "will take a look" not in overview  # a day's least specific sentence is left


def test_a_sentence_said_again_is_kept_once_and_the_newest_fit() -> None:
    overview = highlights("", [DAY_2, DAY_2])
    assert overview.count("Green Meadow Park") == 1
    days = [f"Emily visited Town{n} with Friend{n}. Emily rested." for n in range(30)]
    long = highlights("", days)
    assert len(long) <= MAX_CHARS
    assert long.count("Emily visited") == MAX_SENTENCES
    assert "Town29" in long and "Town0 " not in long


def test_a_thing_called_by_its_name_outranks_a_long_recipe() -> None:
    day = (
        "On 29 April 2023 the user learned a new dish called steamed sea bass, it's really "
        "delicious. First the user cleaned the sea bass, cut the scallions, ginger, and garlic "
        "into thin strips and put them inside the fish, then marinated it with salt."
    )
    assert day_highlights(day, per_day=1) == [day.split(". ")[0] + "."]


def test_a_day_with_nothing_stated_adds_no_question_to_the_overview() -> None:
    raw = (
        "The user said: Recently I've been watching some movies, do you have any good "
        "recommendations? / I'm studying English, how do I improve my listening?"
    )
    assert day_highlights(raw) == []
    assert highlights("Lucy loved Gulangyu Island.", [raw]) == "Lucy loved Gulangyu Island."
    # What such a day did state is kept in the user's words, without the separator.
    said = "The user said: I live in Paris. / My cat is called Miso. / I am allergic to peanuts."
    assert highlights("", [said]) == "The user said: I live in Paris. My cat is called Miso."


def test_a_group_is_they_only_right_after_it_was_named() -> None:
    days = [
        'The user and others saw an art film called "Taxi Driver".',
        "On 1 May 2023 the user found a novel called Solitude at the Library.",
        "The user and others saw an exhibition at the National Museum.",
        "The user and others had lunch at Roma Cafe.",
    ]
    overview = highlights("", days)
    assert "The user and others saw an exhibition" in overview  # a day apart: named again
    assert "They had lunch at Roma Cafe." in overview  # right after: they

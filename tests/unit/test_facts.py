"""Atomic facts: which attribute a fact sets, duplicates, and when a newer fact replaces one."""

from __future__ import annotations

import pytest

from memory.consolidation.facts import FactKey, fact_key, is_duplicate, normalise, supersedes


def test_normalise_drops_the_subject_case_and_final_stop() -> None:
    assert normalise("The user lives in Paris.") == "lives in paris"
    assert normalise("  I   moved to  Berlin! ") == "moved to berlin"
    assert normalise("The user’s cat is called Miso.") == "cat is called miso"


@pytest.mark.parametrize(
    ("fact", "key"),
    [
        ("The user lives in Paris.", FactKey("home", "paris")),
        ("The user moved to Berlin.", FactKey("home", "berlin")),
        ("I live in Leeds", FactKey("home", "leeds")),
        ("The user now lives in Lisbon.", FactKey("home", "lisbon")),
        ("The user works as a nurse.", FactKey("work", "a nurse")),
        ("The user works at the hospital.", FactKey("work", "the hospital")),
        ("The user is 34 years old.", FactKey("age", "34")),
        ("The user turned 35.", FactKey("age", "35")),
        ("The user's favourite food is sushi.", FactKey("favourite food", "sushi")),
        ("The user's favorite colour is green.", FactKey("favourite colour", "green")),
        ("The user's cat is called Miso.", FactKey("cat", "miso")),
        ("The user's cat is Miso.", FactKey("cat", "miso")),
        ("The user's cat's name is Miso.", FactKey("cat", "miso")),
        ("The user likes sushi.", FactKey(None, "likes sushi")),
    ],
)
def test_fact_key_finds_the_single_valued_slot(fact: str, key: FactKey) -> None:
    assert fact_key(fact) == key


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("The user moved to Berlin.", "The user lives in Paris."),
        ("The user lives in Berlin.", "The user lives in Paris."),
        ("The user now works as a teacher.", "The user works as a nurse."),
        ("The user's favourite food is pizza.", "The user's favourite food is sushi."),
        ("The user turned 35.", "The user is 34 years old."),
        ("The user's cat is called Tofu.", "The user's cat is Miso."),
    ],
)
def test_a_new_value_for_the_same_attribute_supersedes(new: str, old: str) -> None:
    assert supersedes(new, old)
    assert not is_duplicate(new, old)


@pytest.mark.parametrize(
    ("new", "old"),
    [
        # Many-valued: liking pizza does not stop the user liking sushi.
        ("The user likes pizza.", "The user likes sushi."),
        # The same value is a confirmation, not an update.
        ("The user lives in Paris.", "The user lives in Paris."),
        ("The user moved to Paris.", "The user lives in Paris."),
        # Different attributes.
        ("The user works as a teacher.", "The user lives in Paris."),
        ("The user's favourite food is sushi.", "The user's favourite film is Alien."),
        ("The user's dog is called Rex.", "The user's cat is called Miso."),
        ("The user is allergic to peanuts.", "The user is allergic to cats."),
    ],
)
def test_no_supersession_without_a_new_value_for_the_same_attribute(new: str, old: str) -> None:
    assert not supersedes(new, old)


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("The user lives in Paris.", "the user lives in paris"),
        ("The user moved to Paris.", "The user lives in Paris."),
        ("The user's cat is Miso.", "The user's cat is called Miso."),
        ("The user likes sushi.", "The user likes sushi!"),
    ],
)
def test_is_duplicate_for_the_same_statement_or_slot_value(new: str, old: str) -> None:
    assert is_duplicate(new, old)


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("The user likes pizza.", "The user likes sushi."),
        ("The user lives in Berlin.", "The user lives in Paris."),
        ("The user is allergic to peanuts.", "The user is allergic to cats."),
    ],
)
def test_is_duplicate_is_false_for_different_facts(new: str, old: str) -> None:
    assert not is_duplicate(new, old)

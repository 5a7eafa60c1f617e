"""The reply check: a used memory answers the question, does the reply reflect it?"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memory.recall.reply_check import about_own_past, answering_memory, check_reply, is_refusal
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


def test_a_quoted_memory_is_not_the_replys_refusal() -> None:
    quoted = "From your memory, 2 May 2023: “I went to a museum. I don't have any photos.”"
    assert not is_refusal(quoted)
    assert is_refusal(quoted + " I don't know more.")


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
    assert check.card() == (
        "I may be wrong — from your memory, 3 June 2024: My sister Anna moved to Porto last week."
    )


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
    # Tokyo, Seoul… are places no memory says: invented specifics, caught before the word share.
    assert check.verdict == "invented"
    assert check.flagged
    assert check.support < 0.5
    assert {c.text for c in check.claims} >= {"Tokyo", "Seoul", "Bangkok", "Manila"}


def test_nothing_is_flagged_when_no_memory_answers() -> None:
    check = check_reply("What should I cook tonight?", "I don't know.", [SISTER, CAT])
    assert check.verdict == "no_answer_in_memory"
    assert not check.flagged
    assert check_reply("Where does my sister live?", "Porto.", []).memory is None


# Issue 21: real replies of the bundled model that were shown with no card, and their kin.
NOVEL = memory("I just finished reading One Hundred Years of Solitude, what a novel!", "novel")
XIAMEN = memory("My favorite attraction in Xiamen is Gulangyu Island.", "xiamen")
RUN = memory("I went running in the park for one hour this morning.", "run")
COMEDY = memory("My sister Anna likes watching comedy movies.", "comedy")
FRIEND = memory("My friend Anna came over for dinner.", "friend")
PARIS = memory("I went to Paris last week, it was lovely.", "paris")


def kinds(check: object) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for claim in getattr(check, "claims", ()):
        found.setdefault(claim.kind, set()).add(claim.text)
    return found


def test_an_invented_title_and_author_are_flagged() -> None:
    check = check_reply(
        "What novel did I mention?",
        'The novel you mentioned was called "Silent Separation" by George Orwell.',
        [NOVEL],
    )
    assert check.verdict == "invented" and check.flagged
    assert kinds(check) == {"name": {"Silent", "Separation", "George", "Orwell"}}
    assert check.card().endswith("One Hundred Years of Solitude, what a novel!")


def test_an_invented_place_is_flagged_though_most_words_are_in_memory() -> None:
    reply = "Your favorite attraction in Xiamen is the Xiamen Alps."
    check = check_reply("What is my favorite attraction in Xiamen?", reply, [XIAMEN])
    assert check.support >= 0.5  # the old word-share check passed it
    assert check.verdict == "invented" and kinds(check) == {"name": {"Alps"}}
    right = check_reply("What is my favorite attraction in Xiamen?", "Gulangyu Island.", [XIAMEN])
    assert right.verdict == "ok" and not right.flagged


def test_an_invented_number_is_flagged_and_a_number_from_memory_is_not() -> None:
    check = check_reply(
        "How long did I run in the park?", "You ran for 45 minutes in the park.", [RUN]
    )
    assert check.verdict == "invented" and kinds(check) == {"number": {"45"}}
    words = check_reply("How long did I run in the park?", "You ran for two hours.", [RUN])
    assert kinds(words) == {"number": {"2"}}  # number words count as numbers
    ok = check_reply("How long did I run in the park?", "You ran for one hour.", [RUN])
    assert ok.verdict == "ok"


def test_an_invented_date_is_flagged_and_the_memory_date_is_not() -> None:
    check = check_reply("When did I go to Paris?", "You went to Paris in March.", [PARIS])
    assert check.verdict == "invented" and kinds(check) == {"date": {"march"}}
    dated = check_reply(
        "When did I go to Paris?", "You went to Paris (you told me on 3 June 2024).", [PARIS]
    )
    assert dated.verdict == "ok", dated.claims  # the memory's own date is known


def test_a_relation_no_memory_ties_to_the_person_is_flagged() -> None:
    wrong = check_reply("Who came over for dinner?", "Your sister Anna came over.", [FRIEND])
    assert wrong.verdict == "invented" and kinds(wrong) == {"relation": {"sister Anna"}}
    other_way = check_reply("Who is Anna?", "Anna is your sister.", [FRIEND])
    assert kinds(other_way) == {"relation": {"sister Anna"}}
    right = check_reply("Who came over for dinner?", "Your friend Anna came over.", [FRIEND])
    assert right.verdict == "ok"


def test_a_claim_the_memory_contradicts_is_flagged() -> None:
    check = check_reply(
        "Does my sister like comedy movies?",
        "Your sister Anna doesn't like watching comedy movies.",
        [COMEDY],
    )
    assert check.verdict == "contradicted" and check.flagged
    assert check.memory is COMEDY
    assert check.card() == (
        "I may be wrong — from your memory, 3 June 2024: "
        "My sister Anna likes watching comedy movies."
    )
    agree = check_reply(
        "Does my sister like comedy movies?", "Yes, Anna likes watching comedy movies.", [COMEDY]
    )
    assert agree.verdict == "ok"
    hates = memory("I hate spicy food.", "spicy")
    flipped = check_reply("Do I like spicy food?", "You love spicy food.", [hates])
    assert flipped.verdict == "contradicted"


def test_invention_about_the_users_past_is_flagged_even_when_no_memory_answers() -> None:
    check = check_reply("What is my brother's name?", "Your brother is called Marco.", [CAT])
    assert check.verdict == "invented" and check.flagged
    assert not check.answers and check.memory is CAT  # the closest memory, shown as such
    assert check.card().startswith("I may be wrong — I don't have that in your memory. The closest")
    # A general question is not checked for specifics: the memories are not its source.
    general = check_reply("What is the capital of France?", "Paris is the capital.", [CAT])
    assert general.verdict == "no_answer_in_memory" and not general.flagged


@pytest.mark.parametrize(
    ("question", "personal"),
    [
        ("Where does my sister live?", True),
        ("What did I say about the trip?", True),
        ("How do I fix my bike?", False),
        ("Can you write a poem about my cat?", False),
        ("What is the capital of France?", False),
    ],
)
def test_questions_about_the_users_own_past(question: str, personal: bool) -> None:
    assert about_own_past(question) is personal


def test_an_extra_detail_around_the_memorys_own_answer_is_listed_without_a_card() -> None:
    dish = memory("Yesterday, I made a decent Kung Pao Chicken dish.", "dish")
    check = check_reply(
        "What dish did I make?", "Kung Pao Chicken, a traditional Chinese dish.", [dish]
    )
    assert check.verdict == "ok" and not check.flagged
    assert kinds(check) == {"name": {"Chinese"}}  # still reported (ask --json, the bench)
    # Without the memory's answer, the same invented detail is flagged.
    wrong = check_reply("What dish did I make?", "Mapo tofu, a traditional Chinese dish.", [dish])
    assert wrong.verdict == "invented" and wrong.flagged


def test_a_when_question_must_get_the_answering_memorys_own_date() -> None:
    museum = memory("Today my friend and I went to a museum and saw old artwork.", "museum")
    later = WHEN.replace(day=12)
    other = Memory("o", Kind.TURN, "We saw a film.", later, later, 1.0, None, False, State.ACTIVE)
    # 12 June is a used memory's date, but not the date of the memory that answers.
    wrong = check_reply(
        "When did I go to the museum?", "You went on 12 June 2024.", [other, museum]
    )
    assert wrong.verdict == "invented" and kinds(wrong) == {"number": {"12"}}
    right = check_reply("When did I go to the museum?", "On 3 June 2024.", [other, museum])
    assert right.verdict == "ok", right.claims

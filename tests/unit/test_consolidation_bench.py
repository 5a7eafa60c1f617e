"""bench consolidation's scoring: observations per person, the matcher, contradictions."""

from __future__ import annotations

from datetime import UTC, datetime

from app.bench.written.scores import Matcher, Observation, Scores, contradictions, observations
from memory.records import Kind, Memory, State
from tests.unit.fakes import HashEmbedder

WHEN = datetime(2026, 1, 5, tzinfo=UTC)
RAW = {
    "observation": {
        "session_1_observation": {
            "Caroline": [["Caroline attended an LGBTQ support group recently.", "D1:3"]],
            "Melanie": [["Melanie painted a lake sunrise last year.", "D1:14"]],
        }
    }
}


def fact(text: str, key: str | None = None) -> Memory:
    return Memory(text[:8], Kind.FACT, text, WHEN, WHEN, 1.0, None, False, State.ACTIVE,
                  derive_key=key)  # fmt: skip


def test_observations_are_read_per_session_and_speaker() -> None:
    assert observations(RAW) == [
        Observation("Caroline", "Caroline attended an LGBTQ support group recently.", 1),
        Observation("Melanie", "Melanie painted a lake sunrise last year.", 1),
    ]
    assert observations({"conversation": {}}) == []


def test_a_fact_matches_the_observation_that_says_it_and_not_another() -> None:
    obs = observations(RAW)
    cos, common = Matcher(HashEmbedder(256)).scores(
        ["Caroline attended an LGBTQ support group.", "The user likes jazz."], obs
    )
    match = Matcher.matches(cos, common)
    assert match[0, 0] and not match[0, 1]
    assert not match[1].any()


def test_two_people_s_homes_are_not_a_contradiction_but_two_of_one_are() -> None:
    ana = fact("Ana lives in Rome.", "slot:Ana|home|rome@1:1:0")
    ben = fact("Ben lives in Oslo.", "slot:Ben|home|oslo@1:2:0")
    assert contradictions([ana, ben]) == 0
    ana_again = fact("Ana lives in Pisa.", "slot:Ana|home|pisa@1:3:0")
    assert contradictions([ana, ben, ana_again]) == 1
    # A model fact about the user's home counts against the user's home slot.
    assert contradictions([fact("The user lives in Paris."), fact("The user lives in Lyon.")]) == 1


def test_scores_add_up_over_conversations() -> None:
    a = Scores(observations=4, observations_stated=2)
    b = Scores(observations=6, observations_stated=1)
    a.add(b)
    assert a.as_json()["fact_recall"] == 0.3
    assert Scores().as_json()["fact_recall"] is None  # nothing to score: no figure, not zero


def test_a_words_fact_holds_every_slot_its_sentence_set() -> None:
    both = fact(
        "The user lives in Paris and they work as a nurse.",
        "words:|home|paris,|work|as a nurse@1:1:0",
    )
    assert contradictions([both, fact("The user lives in Paris.", "slot:|home|paris@1:1:0")]) == 0
    assert contradictions([both, fact("The user lives in Lyon.", "slot:|home|lyon@1:2:0")]) == 1


def test_an_answer_is_held_word_for_word_by_the_prompt_or_the_memory() -> None:
    from app.bench.written.scores import Written, held_answers
    from app.transfer.locomo import BenchConversation, Question

    questions = [
        Question("Which park?", ("d:1",), 4, "Green Meadow Park"),
        Question("When?", ("d:2",), 2, "2 May 2023"),
        Question("Is Ana a pilot?", (), 5, ""),  # adversarial: not asked
    ]
    conv = BenchConversation("Emily", [], questions)
    written = Written(
        texts=["The user walked in Green Meadow Park.", "On 2 May 2023 the user went out."],
        prompt="The user walked in Green Meadow Park.",
    )
    s = Scores()
    held_answers(conv, written, s)
    assert (s.asked, s.held_prompt, s.held_memory) == (2, 1, 2)
    assert s.as_json()["answers_held_by_memory"] == 1.0
    # "Park" alone is not the answer; nor is "2 May 20234".
    miss = Written(texts=["The park on 2 May 20234."], prompt="")
    s = Scores()
    held_answers(conv, miss, s)
    assert s.held_memory == 0


def test_the_lived_bench_s_embedding_cache_answers_every_text_it_is_asked() -> None:
    from app.bench.realtime import CachedEmbedder

    cached = CachedEmbedder(HashEmbedder(64))
    first = [f"text {i}" for i in range(70)]
    cached.embed(first)
    # Some cached, some new, past the window: every row comes back, each the right vector.
    asked = first[-5:] + [f"new {i}" for i in range(10)]
    got = cached.embed(asked)
    assert got.shape == (15, 64)
    assert (got == HashEmbedder(64).embed(asked)).all()

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

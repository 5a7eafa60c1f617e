"""`bench answers` scoring: LoCoMo's token F1, answer hit, the stratified sample."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.bench.answer_scores import Asked, Scores, answer_hit, sample_questions, token_f1
from app.transfer.locomo import Question


def test_token_f1_is_locomos_normalised_overlap() -> None:
    assert token_f1("7 May 2023", "7 May 2023") == 1.0
    assert token_f1("She went on the 7 May, 2023.", "7 May 2023") == pytest.approx(
        2 / 3
    )  # P 3/6, R 3/3
    assert token_f1("Adoption agencies", "adoption agency") == 1.0  # stemmed
    assert token_f1("I do not remember.", "Adoption agencies") == 0.0
    assert token_f1("", "x") == 0.0


def test_answer_hit_needs_half_the_gold_content_words() -> None:
    assert answer_hit("Caroline researched adoption agencies.", "Adoption agencies")
    assert answer_hit("She is a transgender person.", "Transgender woman")  # 1 of 2
    assert not answer_hit("She researched schools.", "Adoption agencies")
    assert answer_hit("It was in 2022.", "2022")
    assert not answer_hit("It was in 2021.", "2022")


def q(category: int, n: int) -> Question:
    return Question(f"q{category}-{n}", (), category, f"answer {n}")


def test_the_sample_is_stratified_deterministic_and_spread() -> None:
    questions = [q(c, n) for c in (1, 2, 4) for n in range(10)] + [q(3, 0)]
    questions.append(Question("adversarial", (), 5, ""))
    picked = sample_questions(questions, 8, (1, 2, 3, 4))
    assert picked == sample_questions(questions, 8, (1, 2, 3, 4))
    by_cat = {c: [x.text for x in picked if x.category == c] for c in (1, 2, 3, 4)}
    # Round the categories: 3 has one question, the rest share the remaining seven.
    assert {c: len(v) for c, v in by_cat.items()} == {1: 3, 2: 2, 3: 1, 4: 2}
    assert by_cat[1] == ["q1-1", "q1-5", "q1-8"]  # evenly spaced, not the first three
    assert all(x.category != 5 for x in picked)
    assert len(sample_questions(questions, None, (1, 2, 3, 4))) == 31


def test_scores_per_category_and_given_evidence() -> None:
    scores = Scores(
        [
            Asked(1, 1.0, True, True, False, False, 1.0),
            Asked(1, 0.0, False, True, True, True, 3.0),
            Asked(2, 0.5, True, False, False, False, 2.0),
        ]
    )
    overall = scores.of()
    assert overall["answer_hit"] == pytest.approx(0.667)
    assert overall["answer_hit_given_evidence"] == 0.5
    assert overall["evidence_in_prompt"] == pytest.approx(0.667)
    assert overall["refusal_rate"] == pytest.approx(0.333)
    assert overall["f1"] == 0.5
    data = scores.as_json()
    assert set(data) == {"overall", "by_category"}
    assert data["by_category"]["2"]["answer_hit_given_evidence"] == 0.0
    assert set(data["by_category"]["1"]) >= {
        "answer_hit",
        "answer_hit_given_evidence",
        "evidence_in_prompt",
        "refusal_rate",
        "f1",
    }


def test_what_the_user_is_left_believing() -> None:
    rows = [
        Asked(4, 1.0, True, True, False, False, 1.0),  # right, no card
        Asked(4, 0.0, False, True, False, True, 1.0, card_hit=True),  # caught: card holds it
        Asked(4, 0.0, False, True, False, False, 1.0),  # silent wrong
        Asked(4, 1.0, True, True, False, True, 1.0),  # right, but carded: a false alarm
        Asked(2, 0.0, False, False, False, False, 1.0),  # missed, no evidence in the prompt
    ]
    overall = Scores(rows).of()
    assert overall["answer_shown"] == 0.6  # 2 replies + 1 card of 5
    assert overall["silent_wrong_rate"] == 0.2
    assert overall["flag_precision"] == 0.5  # 2 flagged, 1 of them a miss
    assert overall["flag_recall"] == pytest.approx(0.333)  # 3 misses, 1 flagged
    assert [r.kind for r in rows] == [
        "right",
        "caught",
        "silent_wrong",
        "false_alarm",
        "missed_without_evidence",
    ]
    assert Scores(rows).as_json()["by_category"]["2"]["silent_wrong_rate"] == 0.0


def test_memorybank_chats_load_with_their_probes(tmp_path: Path) -> None:
    from app.bench.answers import load_conversations

    history = {
        "2023-04-27": [{"query": "I traveled to Xiamen recently.", "response": "Nice!"}],
        "2023-04-28": [
            {"query": "Hi again.", "response": "Hello."},
            {"query": "I like comedies and romance films.", "response": "Me too."},
        ],
    }
    path = tmp_path / "mb.json"
    path.write_text(json.dumps({" Lucy ": {"name": "Lucy", "history": history}}), "utf-8")
    [lucy] = load_conversations(path)
    assert lucy.name == "Lucy"
    assert [d for d, _ in lucy.turns] == ["2023-04-27:0", "2023-04-28:0", "2023-04-28:1"]
    assert all(t.speaker == "" for _, t in lucy.turns)  # the user's own words, as chat keeps them
    assert lucy.turns[2][1].when == datetime(2023, 4, 28, 20, 0, 30, tzinfo=UTC)
    films = [q for q in lucy.questions if "films" in q.text]
    assert films and films[0].evidence == ("2023-04-28:1",) and films[0].answer
    assert lucy.asked_at.date().isoformat() == "2023-04-29"

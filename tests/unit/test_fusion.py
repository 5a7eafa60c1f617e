"""Ranking pieces: weighted fusion, propagation to neighbouring turns, speakers, select()."""

from __future__ import annotations

import pytest

from memory.recall.fusion import (
    estimate_tokens,
    named_speakers,
    propagate,
    ranked,
    select,
    speaker_of,
    weighted_rrf,
    without_names,
)


def test_weighted_rrf_scales_each_ranking_and_zero_weight_drops_it() -> None:
    scores = weighted_rrf([(["a", "b"], 1.0), (["b", "c"], 0.5)], k=20)
    assert scores == pytest.approx({"a": 1 / 21, "b": 1 / 22 + 0.5 / 21, "c": 0.5 / 22})
    assert weighted_rrf([(["a"], 0.0), (["b"], 1.0)], k=0) == {"b": 1.0}


def test_keyword_weight_can_outvote_dense() -> None:
    dense, keyword = ["d1", "k1"], ["k1", "d1"]
    scores = weighted_rrf([(dense, 0.3), (keyword, 1.0)], k=20)
    assert ranked(scores) == ["k1", "d1"]


def test_propagate_lends_score_to_the_next_and_previous_turn() -> None:
    neighbours = {"q": (None, "a"), "a": ("q", None)}
    out = propagate({"q": 10.0}, neighbours, to_next=0.5, to_previous=0.3)
    assert out == pytest.approx({"q": 10.0, "a": 5.0})
    out = propagate({"a": 10.0}, neighbours, to_next=0.5, to_previous=0.3)
    assert out == pytest.approx({"a": 10.0, "q": 3.0})
    both = propagate({"q": 10.0, "a": 4.0}, neighbours, to_next=0.5, to_previous=0.3)
    assert both == pytest.approx({"q": 10.0 + 1.2, "a": 4.0 + 5.0})


def test_speakers_are_read_from_the_label_and_matched_by_name() -> None:
    assert speaker_of("Caroline: I went to a support group") == "Caroline"
    assert speaker_of("Mary Ann: hello") == "Mary Ann"
    assert speaker_of("no label here: really") is None
    assert speaker_of("I adopted a cat") is None
    speakers = {"Caroline", "Melanie", "Mary Ann"}
    assert named_speakers("What did Caroline's friend paint?", speakers) == {"Caroline"}
    assert named_speakers("what did mary ann say", speakers) == {"Mary Ann"}
    assert named_speakers("What did Carol say?", speakers) == set()


def test_without_names_removes_names_and_possessives() -> None:
    assert without_names("What is Caroline's identity?", {"Caroline"}) == "What is identity?"


def test_select_caps_collapses_duplicates_and_keeps_the_budget() -> None:
    items = [
        "I adopted a cat named Miso",
        "i adopted a cat named miso!",  # the same words: a duplicate
        "x" * 400,  # 100 tokens: over what is left of the budget, skipped
        "My sister lives in Lisbon",
        "Buy oat milk",
    ]
    chosen = select(items, str, k=3, budget=40, duplicate_threshold=0.9)
    assert chosen == ["I adopted a cat named Miso", "My sister lives in Lisbon", "Buy oat milk"]
    assert select(items, str, k=2) == items[:2]  # no threshold: duplicates stay
    assert sum(estimate_tokens(t) for t in chosen) <= 40


def test_select_with_no_room_returns_nothing() -> None:
    assert select(["a long enough sentence"], str, k=5, budget=1) == []
    assert select([], str, k=5) == []

"""Answers with the bundled model: the reply check on real replies, `ask --json`'s flag, the
persona after a first day, and `bench answers` end to end on a small LoCoMo-shaped file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memory.consolidation.grounding import content_words, support
from memory.consolidation.persona import split_persona
from memory.consolidation.profile import profile_claims
from memory.recall.prompt import SYSTEM_INTRO
from memory.recall.reply_check import check_reply, is_refusal
from memory.records import Kind, Memory, State
from tests.realmodels import ready_runtime, shared_llm

pytestmark = [pytest.mark.model, pytest.mark.slow]
WHEN = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def memory(text: str) -> Memory:
    return Memory("m-" + text[:8], Kind.NOTE, text, WHEN, WHEN, 3.0, None, False, State.ACTIVE)


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_real_refusals_and_ignored_memories_are_flagged() -> None:
    """The failure modes seen in issue 14, reproduced with the bundled model: asked with the old
    identity prompt and without the memory, it refuses or makes something up. The check, given
    the memory that answers, flags both."""
    llm = shared_llm()
    cases = [
        ("Where does my sister live?", "My sister Ana lives in Lisbon.", "lisbon"),
        ("What is my cat called?", "My cat is called Miso.", "miso"),
    ]
    verdicts = []
    for question, said, answer in cases:
        messages = [
            {"role": "system", "content": SYSTEM_INTRO},
            {"role": "user", "content": question},
        ]
        # Greedy: the same reply whatever ran before in this process (the sampler's seed
        # advances with every call, so a sampled reply depended on the tests run before it).
        reply = "".join(llm.stream_chat(messages, max_tokens=48, temperature=0.0))
        assert answer not in reply.lower()  # the model cannot know it: a real miss
        check = check_reply(question, reply, [memory("The weather is nice."), memory(said)])
        assert check.flagged, (reply, check)
        assert check.memory is not None and check.memory.text == said
        assert (check.verdict == "refusal") == is_refusal(reply), reply
        assert check.card() == f"I may be wrong — from your memory, 1 May 2026: {said}"
        verdicts.append(check.verdict)
    # One refuses; the other makes something up (a name no memory holds: "invented") or
    # answers past the memory ("ignored", "unsupported"), whichever the model does.
    assert "refusal" in verdicts and {"ignored", "unsupported", "invented"} & set(verdicts), (
        verdicts
    )


def test_ask_json_carries_the_check_and_an_answer_from_memory_is_not_flagged(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert cli(data, "remember", "My cat is called Miso.").returncode == 0
    asked = cli(data, "ask", "What is my cat called?", "--json")
    assert asked.returncode == 0, asked.stderr
    out = json.loads(asked.stdout)
    check = out["memory_check"]
    assert set(check) == {
        "flagged",
        "verdict",
        "memory_id",
        "memory_answers",
        "card",
        "claims",
        "reply_support",
    }
    reply = out["reply"]
    if "miso" in reply.lower():  # the compact prompt's usual answer
        assert check["verdict"] in ("ok", "unsupported")
    else:
        assert check["flagged"] and check["card"].startswith("I may be wrong — from your memory, ")
    assert check["memory_id"] in [m["id"] for m in out["used_memories"]]


FIRST_DAY = [
    "I work as a nurse at the children's hospital.",
    "I live in Lisbon with my husband Tiago.",
    "My dog Rex loves long walks on the beach.",
    "I am allergic to peanuts.",
    "Please keep your answers short.",
]


def test_after_a_first_day_and_one_consolidate_the_persona_is_there_and_grounded(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with ready_runtime(data, WHEN) as runtime:
        conversation = runtime.chat.new_conversation()
        for text in FIRST_DAY:
            list(runtime.chat.send(conversation.id, text))
    done = cli(data, "--now", "2026-05-01T23:00:00+00:00", "consolidate", "--json")
    assert done.returncode == 0, done.stderr
    shown = cli(data, "persona", "--json")
    assert shown.returncode == 0, shown.stderr
    persona = json.loads(shown.stdout)["persona"]
    assert persona is not None and persona["text"].strip()
    said = "\n".join(FIRST_DAY)
    prose, profile = split_persona(persona["text"])
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", prose) if s.strip()]
    for sentence in sentences:  # whatever prose the model wrote is in the user's words
        assert support(sentence, said) >= 0.75, sentence
    claims = profile_claims(profile)
    assert len(claims) >= 4
    for claim in claims:
        assert not content_words(claim) or support(claim, said) == 1.0, claim
    assert "nurse" in profile and "Lisbon" in profile and "peanuts" in profile
    assert "doctor" not in persona["text"].lower()


LOCOMO_SHAPED = [
    {
        "sample_id": "tiny",
        "conversation": {
            "speaker_a": "Ana",
            "speaker_b": "Ben",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "Ana", "dia_id": "D1:1", "text": "I adopted a cat called Miso."},
                {"speaker": "Ben", "dia_id": "D1:2", "text": "Lovely! I started learning piano."},
            ],
            "session_2_date_time": "10:00 am on 20 May, 2023",
            "session_2": [
                {"speaker": "Ana", "dia_id": "D2:1", "text": "I moved to Lisbon last week."},
            ],
        },
        "qa": [
            {
                "question": "What is Ana's cat called?",
                "answer": "Miso",
                "evidence": ["D1:1"],
                "category": 4,
            },
            {
                "question": "What did Ben start learning?",
                "answer": "piano",
                "evidence": ["D1:2"],
                "category": 1,
            },
            {
                "question": "Where did Ana move?",
                "answer": "Lisbon",
                "evidence": ["D2:1"],
                "category": 3,
            },
            {
                "question": "Is Ana a pilot?",
                "adversarial_answer": "no",
                "evidence": [],
                "category": 5,
            },
        ],
    }
]


def test_bench_answers_runs_on_a_locomo_shaped_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(LOCOMO_SHAPED), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text("[llm]\nmax_tokens = 32\n", encoding="utf-8")
    run = cli(
        tmp_path / "unused",
        "bench",
        "answers",
        str(path),
        "--questions",
        "2",
        "--styles",
        "full",
        "--config",
        str(config),
        "--json",
        "--no-write",
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    keys = {"answer_hit", "answer_hit_given_evidence", "evidence_in_prompt", "refusal_rate", "f1"}
    assert keys <= set(out["overall"])
    assert out["style"] == "extractive" and set(out["styles"]) == {"extractive", "full"}
    # Stratified: the quota goes round categories 1-4 in order (2 has no question here), and
    # never to the adversarial category 5.
    assert out["questions"] == 2
    assert set(out["by_category"]) == {"1", "3"}
    for scores in [out["overall"], *out["by_category"].values()]:
        assert all(0.0 <= scores[k] <= 1.0 for k in keys)
    assert out["overall"]["evidence_in_prompt"] > 0  # recall put the turn in the prompt

    bad = cli(tmp_path / "unused", "bench", "answers", str(tmp_path / "missing.json"))
    assert bad.returncode == 1 and bad.stderr.strip().startswith("error: ")
    assert "Traceback" not in bad.stderr


ABOUT_ME = [
    (
        "My favorite attraction in Xiamen is Gulangyu Island.",
        "What is my favorite attraction in Xiamen?",
        "gulangyu",
    ),
    (
        "I found a novel called One Hundred Years of Solitude at the library.",
        "What novel did I find at the library?",
        "solitude",
    ),
]


@pytest.mark.parametrize("style", ["extractive", "auto"])
def test_a_question_about_a_memory_gets_the_answer_or_the_card_holding_it(
    tmp_path: Path, style: str
) -> None:
    """Issue 21: with the bundled model, what the user is shown holds what they said: the reply
    has the answer, or the reply is flagged and the card under it quotes the memory that has it.
    And a question about their past that no memory answers is not answered with an invention."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(f'[llm]\nprompt_style = "{style}"\n', encoding="utf-8")
    with ready_runtime(data, WHEN) as runtime:
        for said, _, _ in ABOUT_ME:
            runtime.curation.remember(said)
        for _said, question, answer in ABOUT_ME:
            reply = runtime.chat.ask(question)
            check = reply.check
            assert check is not None
            shown = reply.message.text.lower()
            if answer not in shown:
                assert check.flagged and answer in check.card().lower(), (reply.message.text, check)
        if style == "extractive":  # no memory answers: the model is not asked to invent one
            unknown = runtime.chat.ask("What is my brother's name?")
            assert unknown.message.text.startswith("I don't have that in your memory."), unknown

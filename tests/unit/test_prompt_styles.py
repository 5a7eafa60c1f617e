"""The compact reply prompt for small models, and which style a configured model gets."""

from __future__ import annotations

from pathlib import Path

from app.config import Config, LLMConfig, SchedulerConfig
from app.engine.prompt_style import SMALL_MODEL_BYTES, prompt_style_for, summaries_for
from memory.recall.prompt import (
    COMPACT_SYSTEM,
    EXAMPLE_ANSWER,
    SYSTEM_INTRO,
    PromptBudget,
    PromptBuilder,
)
from memory.records import Message
from tests.unit.fakes import T0
from tests.unit.test_prompt import recalled


def words(text: str) -> int:
    return len(text.split())


def test_compact_quotes_the_memories_next_to_the_question_after_a_worked_example() -> None:
    builder = PromptBuilder(words, PromptBudget(), "compact")
    found = [recalled("My sister Alice lives in Lisbon.", T0)]
    prompt = builder.build("Where does Alice live?", T0, found, [], persona="Home: Porto.")
    roles = [m["role"] for m in prompt.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert prompt.messages[0]["content"] == COMPACT_SYSTEM
    assert SYSTEM_INTRO not in str(prompt.messages)  # no identity to parrot
    assert prompt.messages[2]["content"] == EXAMPLE_ANSWER
    last = prompt.messages[-1]["content"]
    assert last == (
        "Notes:\n- (about you) Home: Porto.\n"
        "- [Friday 01 May 2026] My sister Alice lives in Lisbon.\n\n"
        "Question: Where does Alice live?"
    )
    assert prompt.used == found


def test_plain_is_compact_without_the_example_and_no_memories_means_the_bare_question() -> None:
    builder = PromptBuilder(words, PromptBudget(), "plain")
    history = [Message(1, 1, "user", "Hello there", T0), Message(2, 1, "assistant", "Hi!", T0)]
    prompt = builder.build("How are you?", T0, [], history)
    assert [m["content"] for m in prompt.messages] == [
        COMPACT_SYSTEM,
        "Hello there",
        "Hi!",
        "How are you?",
    ]


def test_compact_keeps_the_memories_within_the_budget() -> None:
    builder = PromptBuilder(words, PromptBudget(context_size=400, reply_tokens=50), "compact")
    found = [recalled(f"memory number {i} " + "word " * 20, T0, mid=f"m{i}") for i in range(10)]
    prompt = builder.build("question?", T0, found, [])
    assert 0 < len(prompt.used) < 10
    assert prompt.tokens <= 400 - 50


def test_auto_picks_extractive_for_the_bundled_model_and_full_for_big_or_remote(
    tmp_path: Path,
) -> None:
    assert prompt_style_for(Config()) == "extractive"  # the bundled 135M GGUF (~90 MB)
    big = tmp_path / "big.gguf"
    with big.open("wb") as fh:
        fh.write(b"GGUF")
        fh.truncate(SMALL_MODEL_BYTES + 1)  # sparse: no disk used
    assert prompt_style_for(Config(llm=LLMConfig(model_path=str(big)))) == "full"
    remote = LLMConfig(engine="openai", base_url="http://127.0.0.1:1/v1")
    assert prompt_style_for(Config(llm=remote)) == "full"
    assert prompt_style_for(Config(llm=LLMConfig(prompt_style="plain"))) == "plain"
    missing = LLMConfig(model_path=str(tmp_path / "missing.gguf"))
    assert prompt_style_for(Config(llm=missing)) == "full"
    # Summaries follow the same rule: the user's own words under a small local model.
    assert summaries_for(Config()) == "words"
    assert summaries_for(Config(llm=LLMConfig(model_path=str(big)))) == "model"
    assert summaries_for(Config(llm=remote)) == "model"
    assert summaries_for(Config(scheduler=SchedulerConfig(summaries="model"))) == "model"

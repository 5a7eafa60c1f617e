"""The speed benchmarks run end to end at tiny sizes and write their tables (no timed asserts:
the numbers live in docs/benchmarks.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.bench import chat as chatbench
from app.bench import runner as bench_cli
from app.cli.main import main

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_bench_chat_compares_the_app_with_raw_llama_on_the_same_prompt() -> None:
    result = chatbench.run_chat(reps=1, max_tokens=16, warmup=False)
    data = result.as_json()
    assert len(data["app"]) == len(data["raw_same_prompt"]) == len(data["raw_bare_prompt"]) == 1
    for runs in (data["app"], data["raw_same_prompt"], data["raw_bare_prompt"]):
        assert runs[0]["ttft_ms"] > 0 and 1 <= runs[0]["tokens"] <= 16
    # The app's prompt carries the recalled memories: longer than the bare question.
    assert data["memories_used"][0] >= 1
    assert data["prompt_tokens"][0] > data["bare_prompt_tokens"][0]
    table = result.markdown()
    assert "| app: ChatService.send |" in table and "throughput ratio" in table
    assert table.count("\n|") == 5  # header, rule, three paths


def test_bench_startup_launches_the_gui_and_writes_its_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "benchmarks.md"
    monkeypatch.setattr(bench_cli, "DOC", doc)
    assert main(["bench", "startup", "--reps", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    window, models = data["ms"]["window_shown"][0], data["ms"]["models_ready"][0]
    assert 0 < window < models  # the window shows before the models finish loading
    text = doc.read_text()
    assert "`membank-cli bench startup --reps 1 --json`" in text
    assert "| launch to visible window |" in text and "| launch to models ready" in text

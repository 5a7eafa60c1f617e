"""The CLI as a user runs it: separate processes on one data folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.slow]


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_remember_then_ask_in_a_new_process_uses_the_note(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stored = cli(data, "remember", "My cat is called Miso", "--json")
    assert stored.returncode == 0, stored.stderr
    note = json.loads(stored.stdout)
    assert note["kind"] == "note" and note["text"] == "My cat is called Miso"

    asked = cli(data, "ask", "What is my cat called?", "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["reply"]
    assert note["id"] in [m["id"] for m in answer["used_memories"]]

    shown = cli(data, "memories", "show", note["id"][:8], "--json")
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    # A note starts at S = 365 days; recalled seconds after it was stored it gains next to
    # nothing (the spacing effect needs a gap), but the recall is counted.
    assert detail["recall_count"] == 1
    assert detail["strength"] == pytest.approx(365.0, abs=0.5)
    assert detail["used_by_messages"] == [answer["message_id"]]

    listed = json.loads(cli(data, "memories", "list", "--json").stdout)
    assert {m["kind"] for m in listed} == {"note", "turn"}

    found = json.loads(cli(data, "memories", "search", "cat name", "--json").stdout)
    assert found[0]["id"] == note["id"]


def test_doctor_reports_models_and_a_consistent_index(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(data, "remember", "I play the cello", "--json").returncode == 0
    result = cli(data, "doctor", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["problems"] == []
    assert report["chat_model"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert report["gpu_offload_available"] in (True, False)
    assert report["index"] == {"indexed": 1, "missing": 0, "orphans": 0, "consistent": True}
    assert report["sqlite_integrity"] == "ok"

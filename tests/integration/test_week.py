"""The MemoryBank issue's "done" script: a week through the CLI, with --now moving the clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# A lived week, season or crash series with the real model: minutes, not the default 5.
pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(1800)]
ROOT = Path(__file__).resolve().parents[2]


def cli_json(data: Path, *args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_scripted_week(tmp_path: Path) -> None:
    data = tmp_path / "week"
    cli = Path(sys.executable).with_name("membank-cli")
    result = subprocess.run(
        ["bash", str(ROOT / "docs/demo/week.sh"), str(data)],
        env={**os.environ, "MEMBANK_CLI": str(cli)},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (tmp_path / "week.log").write_text(result.stdout)

    days = cli_json(data, "--now", "2026-11-08T23:00", "summaries")
    assert [d["day"] for d in days] == ["2026-11-08", "2026-11-06", "2026-11-04", "2026-11-02"]
    assert all(d["summary"]["text"] for d in days)
    persona = cli_json(data, "--now", "2026-11-08T23:00", "persona")
    assert persona["summary"] and persona["summary"]["text"]
    assert persona["persona"] and persona["persona"]["text"]

    memories = cli_json(data, "--now", "2026-11-08T23:00", "memories", "list", "--limit", "500")
    by_text = {m["text"]: m for m in memories}
    assert by_text["ok thanks"]["state"] == "faded"  # six days, never recalled, S = 1
    miso = by_text["My cat Miso knocked a plant off the shelf today."]
    assert miso["state"] == "active" and miso["recall_count"] >= 1
    assert miso["strength"] > 2.0  # started at 2 (significant), strengthened by the recall
    superseded = [m for m in memories if m["state"] == "superseded"]
    assert superseded and any("Paris" in m["text"] for m in superseded)
    newer = {m["id"]: m for m in memories}[superseded[0]["id"]]
    shown = cli_json(data, "--now", "2026-11-08T23:00", "memories", "show", newer["id"])
    assert any(link["relation"] == "supersedes" for link in shown["links"])
    berlin = [m for m in memories if m["kind"] == "fact" and "Berlin" in m["text"]]
    assert berlin and berlin[0]["state"] == "active"

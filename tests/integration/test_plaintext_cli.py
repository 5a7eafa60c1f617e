"""membank-cli export --format markdown and import --format text, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.slow]

SAVED = """Is vegetarian.
Has a dog named Rex
- 2024-11-02: Started learning the cello
"""


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_markdown_export_round_trips_through_text_import(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    pasted = tmp_path / "saved-memories.txt"
    pasted.write_text(SAVED, encoding="utf-8")
    done = cli(first, "import", str(pasted), "--json")  # the format is guessed from .txt
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"facts": 3, "notes": 0, "skipped": 0}
    assert cli(first, "remember", "My locker code is on a yellow note", "--json").returncode == 0

    export = tmp_path / "me.md"
    wrote = cli(first, "export", str(export), "--format", "markdown")
    assert wrote.returncode == 0, wrote.stderr
    text = export.read_text(encoding="utf-8")
    assert "- 2024-11-02: Started learning the cello" in text
    assert "## Notes" in text and ": My locker code is on a yellow note" in text

    once = cli(second, "import", str(export), "--format", "text", "--json")
    assert once.returncode == 0, once.stderr
    assert json.loads(once.stdout) == {"facts": 3, "notes": 1, "skipped": 0}
    twice = cli(second, "import", str(export), "--format", "text", "--json")
    assert json.loads(twice.stdout) == {"facts": 0, "notes": 0, "skipped": 4}

    copy = cli(second, "export", "-", "--format", "markdown")
    facts_and_notes = text[text.index("## Facts") :]
    assert copy.stdout[copy.stdout.index("## Facts") :] == facts_and_notes
    doctor = json.loads(cli(second, "doctor", "--json").stdout)
    assert doctor["problems"] == [] and doctor["index"]["consistent"]


def test_a_bad_text_file_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad = tmp_path / "bad.txt"
    bad.write_text("fine\n" + "x" * 3000 + "\n", encoding="utf-8")
    result = cli(data, "import", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and "line 2" in result.stderr
    assert "Traceback" not in result.stderr
    listed = cli(data, "memories", "list", "--json")
    assert json.loads(listed.stdout) == []

"""What a user sees when the input is wrong: one line naming the file, the item and the format,
a non-zero exit, and a store exactly as before; and `doctor` in words, not Python dicts."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.model, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


def rows(data: Path) -> dict[str, list[Any]]:
    db = sqlite3.connect(data / "membank.sqlite3")
    try:
        return {
            t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in ("conversations", "messages", "memories")
        }
    finally:
        db.close()


SESSION = [{"speaker": "Ana", "dia_id": "D1:1", "text": "I moved to Lisbon."}]
BAD_INPUTS: list[tuple[str, Any, str]] = [
    ("conversation not a dict", [{"conversation": "not a dict"}], '"conversation" is a str'),
    (
        "unreadable date",
        [{"conversation": {"session_1_date_time": "someday", "session_1": SESSION}}],
        "Unrecognised session date 'someday'",
    ),
    (
        "turn not an object",
        [{"conversation": {"session_1_date_time": "2023-09-25", "session_1": ["hi"]}}],
        "turn 1",
    ),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("refusals") / "data"
    assert cli(folder, "remember", "I keep bees").returncode == 0
    return folder


@pytest.mark.parametrize(
    ("content", "expected"), [(c, e) for _, c, e in BAD_INPUTS], ids=[n for n, _, _ in BAD_INPUTS]
)
def test_a_bad_locomo_file_is_one_line_and_stores_nothing(
    data: Path, tmp_path: Path, content: Any, expected: str
) -> None:
    """Before: the first one "succeeded" with `conversations 1, messages 0`."""
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    before = rows(data)
    result = cli(data, "import", str(path), "--format", "locomo")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert str(path) in lines[0] and "conversation 1" in lines[0] and expected in lines[0]
    assert result.stdout == ""
    assert rows(data) == before


def test_dated_sessions_in_common_forms_import(data: Path, tmp_path: Path) -> None:
    content = [
        {
            "sample_id": "dates",
            "conversation": {
                "session_1_date_time": "25.09.2023, 10:03:04",
                "session_1": SESSION,
                "session_2_date_time": "2023-09-26T08:00:00",
                "session_2": [{"speaker": "Ana", "dia_id": "D2:1", "text": "Lisbon is sunny."}],
            },
        }
    ]
    path = tmp_path / "dates.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    result = cli(data, "import", str(path), "--format", "locomo")
    assert result.returncode == 0, result.stderr
    times = sorted(
        r[0]
        for r in sqlite3.connect(data / "membank.sqlite3").execute(
            "SELECT event_time FROM memories WHERE text LIKE 'Ana:%'"
        )
    )
    assert [t[:19] for t in times] == ["2023-09-25T10:03:04", "2023-09-26T08:00:00"]


@pytest.mark.parametrize("day", ["2026-13-45", "next tuesday"])
def test_summaries_of_a_day_that_is_no_date_is_refused(data: Path, day: str) -> None:
    """Before: exit 0 and nothing printed."""
    result = cli(data, "summaries", "--day", day)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: --day {day!r} is not a date: use YYYY-MM-DD, e.g. 2025-03-14."
    ]


def test_doctor_prints_readable_lines(data: Path) -> None:
    result = cli(data, "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "{" not in result.stdout and "'" not in result.stdout, result.stdout
    assert "True" not in result.stdout and "None" not in result.stdout
    assert "All checks passed." in result.stdout

"""`membank-cli doctor` checks the memory graph; `--repair` links what is missing and prunes
entities nothing names; `--rebuild-index` builds the graph anew."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.config import resolve_paths
from tests.integration.test_cli import cli

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_doctor_reports_and_repairs_the_graph(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(data, "remember", "My sister Joanna moved to Lisbon", "--json").returncode == 0
    conn = sqlite3.connect(resolve_paths(str(data)).database)
    with conn:  # a graph cut off mid-way: the memory unlinked, an entity nothing names
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM memory_entities")
        conn.execute("UPDATE memories SET graphed = 0")
    conn.close()
    report = json.loads(cli(data, "doctor", "--json").stdout)
    assert report["graph"] == {"entities": 2, "unlinked_memories": 1, "orphans": 2}
    # --repair opens the bank, whose index catch-up links the graph too (as start-up does).
    report = json.loads(cli(data, "doctor", "--repair", "--json").stdout)
    assert report["graph"] == {"entities": 2, "unlinked_memories": 0, "orphans": 0}
    rebuilt = json.loads(cli(data, "doctor", "--rebuild-index", "--json").stdout)
    assert any("Rebuilt the memory graph from 1 memories" in r for r in rebuilt["repairs"])
    assert rebuilt["graph_after_repair"]["entities"] == 2

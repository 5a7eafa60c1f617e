"""Export and import through membank-cli with the bundled MiniLM: vectors reused, recall intact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from memory.archive.reader import read_archive

pytestmark = [pytest.mark.model, pytest.mark.slow]
NOW = "2026-05-01T10:00"


def cli(
    data: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), "--now", NOW, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).resolve().parents[2],
    )


def test_export_import_forget_with_minilm(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for text in (
        "My cat is called Miso",
        "My sister Alice lives in Lisbon",
        "I am allergic to kiwi",
    ):
        assert cli(a, "remember", text).returncode == 0
    archive = tmp_path / "mine.membank"
    done = cli(a, "export", str(archive), "--passphrase-env", "PW", "--json", env={"PW": "pw1"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["embeddings"] is True
    wrong = cli(b, "import", str(archive), "--passphrase-env", "PW", env={"PW": "nope"})
    assert wrong.returncode == 1 and "passphrase is wrong" in wrong.stderr
    imported = cli(b, "import", str(archive), "--passphrase-env", "PW", "--json", env={"PW": "pw1"})
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["added"]["memories"] == 3 and report["vectors_reused"] == 3
    found = json.loads(cli(b, "memories", "search", "Where does Alice live?", "--json").stdout)
    assert found[0]["text"] == "My sister Alice lives in Lisbon"
    forgot = cli(b, "forget-about", "Alice in Lisbon", "--yes", "--json")
    assert forgot.returncode == 0, forgot.stderr
    again = tmp_path / "after.membank"
    assert cli(b, "export", str(again), "--no-embeddings").returncode == 0
    assert "Lisbon" not in repr(read_archive(again).records)
    log = json.loads(cli(b, "audit", "--json").stdout)
    assert {"forgotten", "imported"} <= {e["event"] for e in log}


def test_import_chatgpt_export_and_notes_and_refuse_malformed(tmp_path: Path) -> None:
    from tests.unit.test_file_import import chatgpt_export

    data = tmp_path / "data"
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps(chatgpt_export()), encoding="utf-8")
    done = cli(data, "import", str(export), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "format": "chatgpt",
        "conversations": 1,
        "messages": 4,
        "memories": 2,
    }
    found = json.loads(cli(data, "memories", "search", "the dog's name", "--json").stdout)
    assert found[0]["text"] == "She has a dog called Pico"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "bike.md").write_text("The bike lock code is 1234", encoding="utf-8")
    assert cli(data, "import", str(notes), "--format", "notes").returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text('[{"mapping": {}, "create_time": 1, "current_node": "x"}]', encoding="utf-8")
    before = cli(data, "export", str(tmp_path / "before.membank"), "--no-embeddings")
    assert before.returncode == 0
    refused = cli(data, "import", str(bad))
    assert refused.returncode == 1 and "current_node" in refused.stderr
    after = cli(data, "export", str(tmp_path / "after.membank"), "--no-embeddings")
    assert after.returncode == 0
    assert (
        read_archive(tmp_path / "before.membank").records
        == read_archive(tmp_path / "after.membank").records
    )

"""One bundle executable: the GUI as `membank`, the terminal client as `membank-cli`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ENTRY = Path(__file__).resolve().parents[2] / "packaging" / "entry.py"


def load_entry() -> ModuleType:
    spec = importlib.util.spec_from_file_location("membank_bundle_entry", ENTRY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("argv0", "expected"),
    [
        ("/opt/membank/membank-cli", "cli"),
        ("membank-cli.exe", "cli"),
        ("/opt/membank/membank", "gui"),
        ("/usr/bin/membank.exe", "gui"),
    ],
)
def test_program_name_picks_the_entry_point(monkeypatch, argv0: str, expected: str) -> None:
    import app.cli.main
    import ui.__main__

    monkeypatch.setattr(app.cli.main, "main", lambda: "cli")
    monkeypatch.setattr(ui.__main__, "main", lambda: "gui")
    monkeypatch.setattr(sys, "argv", [argv0, "--help"])
    assert load_entry().run() == expected

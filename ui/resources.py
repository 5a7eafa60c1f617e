"""Paths of packaged resources (read with importlib.resources, no .qrc)."""

from __future__ import annotations

from importlib.resources import files


def app_icon() -> str:
    return str(files("resources") / "membank.svg")

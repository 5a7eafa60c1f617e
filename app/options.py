"""The options every entry point shares (the window, membank-cli, membank-mcp): where the data
lives and what time it is. Here, so the window imports no CLI module."""

from __future__ import annotations

import argparse
import os
from datetime import datetime

from memory.clock import parse_user_time


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="where membank keeps everything (or MEMBANK_HOME)")
    parser.add_argument(
        "--now", help="pretend the time is this ISO date/time (or MEMBANK_NOW), for demos/tests"
    )


def now_override(value: str | None) -> datetime | None:
    value = value or os.environ.get("MEMBANK_NOW")
    return parse_user_time(value) if value else None

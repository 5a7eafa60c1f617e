"""Logging: a rotating file in the log folder; memory text and prompts only at DEBUG.

The log files are 0600 and the folder 0700 (issue 17); known secrets are masked in every line.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
from collections.abc import Iterable
from pathlib import Path
from typing import cast

from app.privacy.secrets import RedactingFormatter
from models.private_files import open_private, private_dir

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """RotatingFileHandler whose files, the rolled-over ones included, are owner-only."""

    def _open(self) -> io.TextIOWrapper:
        stream = open_private(Path(self.baseFilename), "a", encoding=self.encoding)
        return cast(io.TextIOWrapper, stream)


def setup_logging(log_dir: Path, level: int = logging.INFO, secrets: Iterable[str] = ()) -> None:
    root = logging.getLogger()
    if any(getattr(h, "_membank", False) for h in root.handlers):
        return
    try:
        private_dir(log_dir)
        handler: logging.Handler = PrivateRotatingFileHandler(
            log_dir / "membank.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(FORMAT, secrets))
    handler._membank = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that are chatty at INFO.
    for name in ("apscheduler", "chromadb", "httpx", "sentence_transformers", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)

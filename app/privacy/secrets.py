"""The API key and the store passphrase never reach logs, `doctor` output or crash dialogs.

Nothing membank writes formats them on purpose; this is the net under that: text on its way to
the log file, to `doctor` and to the crash dialog has every known secret replaced.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

from app.config import Config
from memory.storage.encryption import PASSPHRASE_ENV

API_KEY_ENV = "MEMBANK_LLM_API_KEY"
MASK = "[secret]"
# Shorter values would blank ordinary words all over the log; no real key or passphrase is this
# short, and nothing prints them anyway.
MIN_LENGTH = 4


def known_secrets(config: Config | None, env: Mapping[str, str] | None = None) -> list[str]:
    """The API key (config or environment) and MEMBANK_DB_PASSPHRASE, longest first."""
    env = os.environ if env is None else env
    values = {env.get(API_KEY_ENV, ""), env.get(PASSPHRASE_ENV, "")}
    if config is not None:
        values.add(config.llm.api_key)
    return sorted((v for v in values if len(v) >= MIN_LENGTH), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter that masks the secrets in the whole line, tracebacks included."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)

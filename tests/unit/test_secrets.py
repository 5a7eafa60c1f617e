"""The API key and MEMBANK_DB_PASSPHRASE are masked in the log file and in `doctor` output."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import doctor
from app.config import Config, LLMConfig, save_config
from app.logs import setup_logging
from app.privacy.secrets import MASK, known_secrets, redact
from tests.conftest import ExpectWarnings

KEY = "sk-test-7f3a9c1e55d04b2a"
PASSPHRASE = "plum orchard 1987 lantern"


def test_known_secrets_are_the_key_from_config_or_env_and_the_passphrase() -> None:
    config = Config(llm=LLMConfig(api_key=KEY))
    env = {"MEMBANK_DB_PASSPHRASE": PASSPHRASE, "MEMBANK_LLM_API_KEY": "sk-from-env-0001"}
    assert set(known_secrets(config, env)) == {KEY, PASSPHRASE, "sk-from-env-0001"}
    assert known_secrets(Config(), {}) == []
    assert known_secrets(Config(llm=LLMConfig(api_key="ab")), {}) == []  # too short to mask


def test_redact_masks_every_occurrence() -> None:
    text = f"key={KEY} again {KEY}; pass {PASSPHRASE}"
    assert redact(text, [KEY, PASSPHRASE]) == f"key={MASK} again {MASK}; pass {MASK}"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    earlier = [h for h in root.handlers if getattr(h, "_membank", False)]  # another test's
    for handler in earlier:
        root.removeHandler(handler)
    before = list(root.handlers)
    level = root.level
    setup_logging(tmp_path / "logs", secrets=[KEY, PASSPHRASE])
    try:
        yield tmp_path / "logs" / "membank.log"
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
        for handler in earlier:
            root.addHandler(handler)
        root.setLevel(level)


def test_log_file_masks_secrets_in_messages_arguments_and_tracebacks(
    log_file: Path, expect_warnings: ExpectWarnings
) -> None:
    log = logging.getLogger("some.library")
    log.info("request with Authorization: Bearer %s", KEY)
    with expect_warnings("store failed", logger="some.library"):
        try:
            raise ValueError(f"cannot open with PRAGMA key = '{PASSPHRASE}'")
        except ValueError:
            log.exception("store failed")
    logging.getLogger("app.test").info("an ordinary line")
    text = log_file.read_text()
    assert KEY not in text and PASSPHRASE not in text
    assert text.count(MASK) == 2  # the argument, and the exception's message in the traceback
    assert "an ordinary line" in text and "ValueError" in text


def test_doctor_output_masks_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    save_config(data / "config.toml", Config(llm=LLMConfig(api_key=KEY)))
    monkeypatch.setenv("MEMBANK_DB_PASSPHRASE", PASSPHRASE)

    def collect(*_: Any) -> dict[str, Any]:  # a report that, by some future bug, holds both
        return {"chat_engine": f"https://user:{KEY}@example.invalid/v1", "problems": [PASSPHRASE]}

    monkeypatch.setattr(doctor, "collect", collect)
    for as_json in (False, True):
        assert doctor.run(str(data), None, as_json=as_json, rebuild=False) == 1
        out = capsys.readouterr().out
        assert KEY not in out and PASSPHRASE not in out and MASK in out
    assert json.loads(out)["problems"] == [MASK]

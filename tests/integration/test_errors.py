"""Bad set-ups give a clear message that names the problem and what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.bootstrap import load_llm, open_runtime
from app.config import Config, LLMConfig
from memory.errors import DataDirError
from models.errors import ModelLoadError

pytestmark = pytest.mark.model


def _config_with_model(path: Path) -> Config:
    return Config(llm=LLMConfig(model_path=str(path)))


def test_missing_model_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.gguf"
    with pytest.raises(ModelLoadError) as info:
        load_llm(_config_with_model(missing))
    assert str(missing) in str(info.value)
    assert "does not exist" in str(info.value)
    assert "settings" in str(info.value)  # says what to do


def test_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_bytes(b"hello, I am a text file\n" * 100)
    with pytest.raises(ModelLoadError) as info:
        load_llm(_config_with_model(bogus))
    assert str(bogus) in str(info.value) and "not a GGUF" in str(info.value)


def test_corrupt_gguf_is_refused_by_llama_cpp(tmp_path: Path) -> None:
    from models.hub.discovery import bundled_chat_model_path

    corrupt = tmp_path / "truncated.gguf"
    corrupt.write_bytes(bundled_chat_model_path().read_bytes()[:200_000])  # header ok, body cut
    with pytest.raises(ModelLoadError) as info:
        load_llm(_config_with_model(corrupt))
    assert str(corrupt) in str(info.value)


def test_unusable_data_dir_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DataDirError) as info:
        open_runtime(str(blocker / "data"))
    assert str(blocker / "data") in str(info.value)
    assert "--data-dir" in str(info.value)


def test_read_only_data_dir_is_reported(tmp_path: Path) -> None:
    """A data folder on a read-only file system (root ignores chmod, so mount one as root)."""
    data = tmp_path / "ro"
    data.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(data)], capture_output=True
        )
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.decode().strip()}")
        cleanup = ["umount", str(data)]
    else:
        data.chmod(0o500)
        cleanup = ["chmod", "700", str(data)]
    try:
        with pytest.raises(DataDirError) as info:
            open_runtime(str(data))
        assert str(data) in str(info.value) and "--data-dir" in str(info.value)
    finally:
        subprocess.run(cleanup, check=True)


def test_cli_reports_a_missing_model_clearly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text('[llm]\nmodel_path = "/no/such/model.gguf"\n')
    result = subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), "ask", "hello"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "/no/such/model.gguf" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_second_instance_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    from app.instance import AlreadyRunningError

    runtime = open_runtime(str(tmp_path / "data"))
    try:
        with pytest.raises(AlreadyRunningError) as info:
            open_runtime(str(tmp_path / "data"))
        assert str(os.getpid()) in str(info.value)
    finally:
        runtime.close()

"""Config loading and validation, and where the data folder is."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from app.config import Config, ConfigError, LLMConfig, load_config, resolve_paths


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_there_is_no_file(tmp_path: Path) -> None:
    config = load_config(tmp_path / "config.toml")
    assert config == Config()
    assert config.data_dir == ""
    assert config.llm.n_ctx == 4096
    assert config.llm.model_path == ""
    assert config.memory.recall_k == 6
    assert config.memory.min_similarity == pytest.approx(0.35)
    assert config.scheduler.enabled is True


def test_values_from_toml(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config.toml",
        """
data_dir = "/somewhere/else"

[llm]
n_ctx = 8192
temperature = 0.7
model_path = "/models/tiny.gguf"

[memory]
recall_k = 3
fade_threshold = 0.1

[scheduler]
enabled = false
daily_at = "04:15"
""",
    )
    config = load_config(path)
    assert config.data_dir == "/somewhere/else"
    assert config.llm.n_ctx == 8192
    assert config.llm.temperature == pytest.approx(0.7)
    assert config.llm.model_path == "/models/tiny.gguf"
    assert config.llm.max_tokens == LLMConfig().max_tokens  # untouched values keep defaults
    assert config.memory.recall_k == 3
    assert config.memory.fade_threshold == pytest.approx(0.1)
    assert config.memory.history_turns == 12
    assert config.scheduler.enabled is False
    assert config.scheduler.daily_at == "04:15"
    assert config.embedder.model_path == ""


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ("[memory]\nrecall_k = 0\n", "memory.recall_k"),
        ("[llm]\nn_ctx = 100\n", "llm.n_ctx"),
        ("[llm]\ntemperature = 5.0\n", "llm.temperature"),
        ('[llm]\nn_ctx = "big"\n', "llm.n_ctx"),
        ("[memory]\nfade_threshold = 1.0\n", "memory.fade_threshold"),
        ("[llm]\ncontext = 4096\n", "llm.context"),  # unknown keys are typos, not ignored
        ("[nonsense]\nx = 1\n", "nonsense"),
    ],
)
def test_invalid_value_names_the_field(tmp_path: Path, toml: str, field: str) -> None:
    path = write(tmp_path / "config.toml", toml)
    with pytest.raises(ConfigError, match="invalid values") as info:
        load_config(path)
    assert field in str(info.value)
    assert str(path) in str(info.value)


def test_malformed_toml_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "[llm\nn_ctx = = 3\n")
    with pytest.raises(ConfigError, match="cannot be read") as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_undecodable_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(path)


def test_data_dir_argument_beats_membank_home(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen"
    home = tmp_path / "home"
    paths = resolve_paths(str(chosen), env={"MEMBANK_HOME": str(home)})
    assert paths.data_dir == chosen.resolve()
    assert paths.config_file == chosen.resolve() / "config.toml"
    assert paths.log_dir == chosen.resolve() / "logs"
    assert paths.database == chosen.resolve() / "membank.sqlite3"
    assert paths.index_dir == chosen.resolve() / "chroma"
    assert paths.lock_file == chosen.resolve() / "membank.lock"


def test_membank_home_is_used_without_a_data_dir_argument(tmp_path: Path) -> None:
    home = tmp_path / "home"
    paths = resolve_paths(None, env={"MEMBANK_HOME": str(home)})
    assert paths.data_dir == home.resolve()
    assert paths.config_file == home.resolve() / "config.toml"


def test_relative_data_dir_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    paths = resolve_paths("relative/data", env={})
    assert paths.data_dir == (tmp_path / "relative" / "data").resolve()
    assert paths.data_dir.is_absolute()


@pytest.fixture
def platform_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point platformdirs into tmp_path, so the real user's folders are never read."""
    root = tmp_path / "platform"
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda app: str(root / "config" / app))
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda app: str(root / "data" / app))
    monkeypatch.setattr(platformdirs, "user_log_dir", lambda app: str(root / "log" / app))
    return root


def test_platform_folders_without_data_dir_or_env(platform_dirs: Path) -> None:
    paths = resolve_paths(None, env={})
    assert paths.data_dir == platform_dirs / "data" / "membank"
    assert paths.config_file == platform_dirs / "config" / "membank" / "config.toml"
    assert paths.log_dir == platform_dirs / "log" / "membank"


def test_data_dir_from_the_platform_config_file(platform_dirs: Path, tmp_path: Path) -> None:
    config_dir = platform_dirs / "config" / "membank"
    config_dir.mkdir(parents=True)
    custom = tmp_path / "custom data"
    write(config_dir / "config.toml", f"data_dir = {str(custom)!r}\n")
    paths = resolve_paths(None, env={})
    assert paths.data_dir == custom.resolve()
    assert paths.config_file == config_dir / "config.toml"
    # ... but the environment still wins over the config file.
    home = tmp_path / "home"
    assert resolve_paths(None, env={"MEMBANK_HOME": str(home)}).data_dir == home.resolve()


def test_env_argument_is_used_instead_of_os_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform_dirs: Path
) -> None:
    monkeypatch.setenv("MEMBANK_HOME", str(tmp_path / "from-os-environ"))
    assert resolve_paths(None, env={}).data_dir == platform_dirs / "data" / "membank"
    assert resolve_paths(None).data_dir == (tmp_path / "from-os-environ").resolve()


def test_save_config_round_trips_and_writes_only_changes(tmp_path: Path) -> None:
    from app.config import save_config

    path = tmp_path / "sub" / "config.toml"
    config = Config(llm=LLMConfig(n_ctx=2048, model_path="/models/x.gguf"))
    save_config(path, config)
    assert load_config(path) == config
    text = path.read_text(encoding="utf-8")
    assert "n_ctx = 2048" in text and "temperature" not in text
    assert not path.with_name("config.toml.tmp").exists()


def test_save_config_failure_is_a_config_error_and_keeps_the_old_file(tmp_path: Path) -> None:
    from app.config import save_config

    path = tmp_path / "config.toml"
    save_config(path, Config(llm=LLMConfig(n_ctx=1024)))
    tmp_path.joinpath("config.toml.tmp").mkdir()  # the temp name is taken: writing fails
    with pytest.raises(ConfigError, match="could not be saved"):
        save_config(path, Config(llm=LLMConfig(n_ctx=2048)))
    assert load_config(path).llm.n_ctx == 1024

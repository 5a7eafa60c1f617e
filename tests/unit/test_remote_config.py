"""Settings of the remote engines: defaults stay local, bad values are refused, namespaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Config, ConfigError, load_config, resolve_paths
from app.engine.describe import describe_engines
from memory.storage.remote_index import NAMESPACE_FILE, namespace_for, server_collection_name


def test_the_defaults_keep_everything_local(tmp_path: Path) -> None:
    config = Config()
    assert config.llm.engine == "local" and config.index.server_url == ""
    engines = describe_engines(config, resolve_paths(str(tmp_path)))
    assert engines["chat_engine"].startswith("local llama.cpp")
    assert engines["index_engine"] == f"embedded Chroma folder {tmp_path / 'chroma'}"


def test_the_remote_keys_are_read_and_described(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[llm]\nengine = "openai"\nbase_url = "http://gpu-box:8080/v1"\napi_model = "qwen"\n'
        '[index]\nserver_url = "http://nas:8000"\n'
    )
    engines = describe_engines(load_config(path), resolve_paths(str(tmp_path)))
    assert engines == {
        "chat_engine": "OpenAI-compatible server http://gpu-box:8080/v1 (model qwen)",
        "index_engine": "Chroma server http://nas:8000",
    }


def test_an_unknown_engine_is_refused_with_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[llm]\nengine = "cloud"\n')
    with pytest.raises(ConfigError, match="llm.engine"):
        load_config(path)


def test_a_data_dir_keeps_its_own_namespace_unless_one_is_configured(tmp_path: Path) -> None:
    first = namespace_for(tmp_path / "a")
    assert first == namespace_for(tmp_path / "a")  # kept in the data dir
    assert (tmp_path / "a" / NAMESPACE_FILE).read_text().strip() == first
    assert namespace_for(tmp_path / "b") != first
    assert namespace_for(tmp_path / "a", "family store!") == "family-store"
    name = server_collection_name("all-MiniLM-L6-v2", 384, first)
    assert name == f"memories-all-MiniLM-L6-v2-384-{first}"

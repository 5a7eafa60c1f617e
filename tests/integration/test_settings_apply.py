"""Settings applied to a running membank with the real models: model reload, live memory and
schedule changes, and a bad model file that changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bootstrap import Runtime, load_llm, open_bank, open_runtime
from app.config import Config, LLMConfig, MemoryConfig, SchedulerConfig, load_config
from app.engine.settings_apply import apply_settings
from models.errors import ModelLoadError
from models.hub.discovery import bundled_chat_model_path
from tests.realmodels import shared_embedder

pytestmark = pytest.mark.model


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """A runtime with its OWN chat model (it gets closed on a switch), shared embedder."""
    rt = open_runtime(str(tmp_path / "data"))
    bank = open_bank(rt, shared_embedder())
    bank.reconcile()
    rt.host.attach(bank, load_llm(rt.config))
    try:
        yield rt
    finally:
        rt.close()


def test_switching_the_chat_model_reloads_it_saves_it_and_chat_goes_on(
    runtime: Runtime, tmp_path: Path
) -> None:
    copy = tmp_path / "models" / "my-smol.gguf"
    copy.parent.mkdir()
    shutil.copyfile(bundled_chat_model_path(), copy)
    old = runtime.host.models.llm
    new = runtime.config.model_copy(
        update={"llm": LLMConfig(model_path=str(copy), n_ctx=2048, max_tokens=32)}
    )
    applied = apply_settings(runtime, new)
    assert applied.reloaded_model == "my-smol.gguf"
    llm = runtime.host.models.llm
    assert llm is not None and llm is not old and llm.model_id == "my-smol.gguf"
    assert llm.context_size == 2048
    with pytest.raises(ModelLoadError, match="closed"):  # the old one is freed, safely
        list(old.stream_chat([{"role": "user", "content": "hi"}]))  # type: ignore[union-attr]
    assert load_config(runtime.paths.config_file).llm.model_path == str(copy)
    assert runtime.chat.ask("Say hi.").message.text


def test_a_bad_model_file_keeps_the_old_model_and_saves_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 4096)  # the right magic, then nothing llama.cpp can use
    old = runtime.host.models.llm
    new = runtime.config.model_copy(update={"llm": LLMConfig(model_path=str(bad))})
    with pytest.raises(ModelLoadError) as info:
        apply_settings(runtime, new)
    assert str(bad) in str(info.value)
    assert runtime.host.models.llm is old and runtime.config.llm.model_path == ""
    assert not runtime.paths.config_file.exists()
    assert runtime.chat.ask("Say hi.").message.text  # the old model still answers


def test_memory_and_schedule_settings_apply_at_once(runtime: Runtime) -> None:
    runtime.start_scheduler()
    first_scheduler = runtime.scheduler
    new = Config(
        memory=MemoryConfig(recall_k=3, fade_threshold=0.2),
        scheduler=SchedulerConfig(daily_at="04:30", reflection=False),
    )
    applied = apply_settings(runtime, new)
    assert applied.reloaded_model is None
    bank = runtime.host.models.bank
    assert bank is not None
    assert bank.retriever.settings.k == 3 and bank.decay.fade_threshold == 0.2
    assert runtime.scheduler is not None and runtime.scheduler is not first_scheduler
    assert runtime.scheduler.running and runtime.scheduler.config.daily_at == "04:30"
    saved = load_config(runtime.paths.config_file)
    assert saved == new and runtime.config == new
    # Switching the scheduler off stops it.
    off = new.model_copy(update={"scheduler": SchedulerConfig(enabled=False)})
    apply_settings(runtime, off)
    assert runtime.scheduler is None


def test_an_embedder_change_is_saved_for_the_next_start(runtime: Runtime) -> None:
    from app.config import EmbedderConfig

    new = Config(embedder=EmbedderConfig(model_path="/somewhere/else"))
    applied = apply_settings(runtime, new)
    assert any("embedding model" in item for item in applied.at_next_start)
    assert load_config(runtime.paths.config_file).embedder.model_path == "/somewhere/else"

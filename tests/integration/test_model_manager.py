"""ModelManager with the real bundled models: catalog status, download through the loopback hub,
switching the chat model and the embedder (and failing to) on a live runtime."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from app.bootstrap import Runtime, load_llm, open_bank, open_runtime
from app.config import load_config
from app.engine.model_manager import ModelManager, ModelManagerError, ModelSwitchCancelled
from models.embedder_backend import backend_model_id
from models.errors import ModelLoadError
from models.hub.catalog import CatalogEntry, load_catalog
from models.hub.discovery import bundled_chat_model_path, bundled_embedder_path
from models.hub.hardware import HardwareInfo
from tests.hub_standin import StandInHub
from tests.realmodels import shared_embedder

pytestmark = [pytest.mark.model]
NOW = datetime.fromisoformat("2026-11-02T09:00:00+00:00")
GB = 1_000_000_000
FACTS = [
    "My sister Clara lives in Lisbon and teaches piano.",
    "I am allergic to peanuts.",
    "My bicycle is a green Brompton I bought in 2021.",
    "The wifi password at the cabin is written under the kettle.",
    "I run 5 km every Tuesday and Thursday morning.",
]


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """A runtime with its OWN chat model (a switch closes it) and the shared embedder."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "config.toml").write_text("[llm]\nmax_tokens = 24\n")  # quick replies
    rt = open_runtime(str(tmp_path / "data"), NOW)
    try:
        bank = open_bank(rt, shared_embedder())
        rt.host.attach(bank, load_llm(rt.config))
        for fact in FACTS:
            rt.curation.remember(fact)
        yield rt
    finally:
        rt.close()


def _manager(rt: Runtime, catalog: list[CatalogEntry] | None = None) -> ModelManager:
    hw = HardwareInfo(ram_total=16 * GB, ram_available=6 * GB, gpu_offload=False, vram_bytes=None)
    return ModelManager(rt, catalog, hw)


def test_entries_give_fit_advice_and_mark_the_bundled_embedder_active(runtime: Runtime) -> None:
    status = {s.entry.id: s for s in _manager(runtime).entries()}
    assert status["qwen2.5-1.5b-instruct"].advice.fit == "fits"
    assert status["llama-3.1-8b-instruct"].advice.fit == "tight"  # 5.9 GB of 6 GB free
    assert "close other programs" in status["llama-3.1-8b-instruct"].advice.reason
    assert status["qwen2.5-1.5b-instruct"].installed_path is None
    minilm = status["all-MiniLM-L6-v2"]
    assert minilm.active and minilm.installed_path == bundled_embedder_path()
    assert not any(s.active for s in status.values() if s.entry.kind == "chat")


def test_download_through_the_hub_then_remove(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = StandInHub()
    hub.add_file("membank-test/tiny-GGUF", "tiny-chat.gguf", bundled_chat_model_path())
    hub.start()
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    base = load_catalog()[0]
    entry = dataclasses.replace(
        base, id="tiny", repo_id="membank-test/tiny-GGUF", filename="tiny-chat.gguf"
    )
    manager = _manager(runtime, [entry, *load_catalog()[1:]])
    try:
        path = manager.download("tiny", progress=lambda d, t: None)
    finally:
        hub.stop()
    assert path == runtime.paths.data_dir / "models" / "tiny-chat.gguf"
    assert manager.entries()[0].installed_path == path
    manager.use_chat_model(path)
    with pytest.raises(ModelManagerError, match="in use"):
        manager.remove("tiny")
    manager.use_chat_model(bundled_chat_model_path())
    assert manager.remove("tiny") == path and not path.exists()


def test_switch_chat_model_keeps_recall_and_chat_working_and_persists(
    runtime: Runtime, tmp_path: Path
) -> None:
    copy = tmp_path / "other-chat.gguf"
    shutil.copyfile(bundled_chat_model_path(), copy)
    manager = _manager(runtime)
    old = runtime.host.models.llm
    manager.use_chat_model(copy)
    assert runtime.host.models.llm is not old and runtime.host.models.llm is not None
    assert runtime.host.models.llm.model_id == "other-chat.gguf"
    assert runtime.config.llm.model_path == str(copy) == runtime.config.llm.model_path
    assert load_config(runtime.paths.config_file).llm.model_path == str(copy)
    reply = runtime.chat.ask("Where does my sister Clara live?")
    assert reply.message.text.strip()
    assert any("Lisbon" in r.memory.text for r in reply.used)


def test_a_bad_gguf_raises_and_the_old_model_keeps_working(
    runtime: Runtime, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 4096)
    manager = _manager(runtime)
    old = runtime.host.models.llm
    with pytest.raises(ModelLoadError, match="broken.gguf"):
        manager.use_chat_model(bad)
    assert runtime.host.models.llm is old
    assert runtime.config.llm.model_path == ""
    assert load_config(runtime.paths.config_file).llm.model_path == ""
    assert runtime.chat.ask("What am I allergic to?").message.text.strip()


def test_add_gguf_warns_about_a_missing_chat_template(runtime: Runtime, tmp_path: Path) -> None:
    manager = _manager(runtime)
    good = tmp_path / "good.gguf"
    shutil.copyfile(bundled_chat_model_path(), good)
    assert manager.add_gguf(good) == []
    base = tmp_path / "base-model.gguf"
    data = bundled_chat_model_path().read_bytes()
    assert data.count(b"tokenizer.chat_template") == 1
    base.write_bytes(data.replace(b"tokenizer.chat_template", b"tokenizer.chat_templatX"))
    warnings = manager.add_gguf(base)
    assert len(warnings) == 1 and "no chat template" in warnings[0]
    assert {p.name for p in manager.local_gguf_files()} == {"good.gguf", "base-model.gguf"}
    with pytest.raises(ModelLoadError, match="not a GGUF"):
        (tmp_path / "notes.gguf").write_text("hello")
        manager.add_gguf(tmp_path / "notes.gguf")


def _top_ids(rt: Runtime, query: str) -> list[str]:
    bank = rt.host.models.bank
    assert bank is not None
    return [i for i, _ in bank.index.query(bank.embedder.embed([query])[0], 3)]


QUERIES = ["where does my sister live", "food allergy", "what bike do I ride", "jogging days"]


def test_switch_embedder_reembeds_and_recall_finds_the_same_memories(
    runtime: Runtime, tmp_path: Path
) -> None:
    folder = tmp_path / "minilm-copy"
    shutil.copytree(bundled_embedder_path(), folder)
    before = {q: _top_ids(runtime, q) for q in QUERIES}
    searched = {q: [r.memory.id for r in runtime.curation.search(q, 3)] for q in QUERIES}
    old_index = runtime.host.models.bank.index  # type: ignore[union-attr]
    seen: list[tuple[int, int]] = []
    _manager(runtime).use_embedder(folder, progress=lambda d, t: seen.append((d, t)))
    bank = runtime.host.models.bank
    assert bank is not None and bank.embedder.model_id == backend_model_id(
        "minilm-copy", runtime.config.embedder.backend
    )
    assert bank.index.count() == len(FACTS)
    assert seen[-1] == (len(FACTS), len(FACTS))
    assert {q: _top_ids(runtime, q) for q in QUERIES} == before
    assert {q: [r.memory.id for r in runtime.curation.search(q, 3)] for q in QUERIES} == searched
    assert load_config(runtime.paths.config_file).embedder.model_path == str(folder)
    names = {c.name for c in bank.index._client.list_collections()}
    assert old_index._collection.name not in names
    assert runtime.curation.remember("I water the plants on Sundays.").id in bank.index.ids()


def test_cancelled_embedder_switch_keeps_the_old_one(runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "minilm-copy"
    shutil.copytree(bundled_embedder_path(), folder)
    old_bank = runtime.host.models.bank
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ModelSwitchCancelled):
        _manager(runtime).use_embedder(folder, cancel=cancel)
    assert runtime.host.models.bank is old_bank
    assert runtime.config.embedder.model_path == ""
    names = {c.name for c in old_bank.index._client.list_collections()}  # type: ignore[union-attr]
    assert names == {old_bank.index._collection.name}  # type: ignore[union-attr]
    assert _top_ids(runtime, "food allergy")
    with pytest.raises(ModelLoadError):
        _manager(runtime).use_embedder(tmp_path / "no-such-model")
    assert runtime.host.models.bank is old_bank


def test_a_prepared_embedder_changes_nothing_until_committed_with_todays_settings(
    runtime: Runtime, tmp_path: Path
) -> None:
    from app.engine.settings_apply import apply_settings

    folder = tmp_path / "minilm-copy"
    shutil.copytree(bundled_embedder_path(), folder)
    manager = _manager(runtime)
    old_bank = runtime.host.models.bank
    assert old_bank is not None
    prepared = manager.prepare_embedder(folder)
    assert prepared.bank.index.count() == len(FACTS)  # re-embedded beside the index in use
    assert runtime.host.models.bank is old_bank and runtime.config.embedder.model_path == ""
    # Settings changed while the new index was built: the commit keeps them.
    memory = runtime.config.memory.model_copy(update={"recall_k": 2})
    apply_settings(runtime, runtime.config.model_copy(update={"memory": memory}))
    later = runtime.curation.remember("I water the plants on Sundays.")
    manager.commit_embedder(prepared)
    bank = runtime.host.models.bank
    assert bank is not None and bank.embedder.model_id == backend_model_id(
        "minilm-copy", runtime.config.embedder.backend
    )
    assert bank.retriever.settings.k == 2 and runtime.config.memory.recall_k == 2
    saved = load_config(runtime.paths.config_file)
    assert saved.memory.recall_k == 2 and saved.embedder.model_path == str(folder)
    assert later.id in bank.index.ids()  # written while re-embedding: reconciled


def test_a_discarded_embedder_leaves_no_index_behind(runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "minilm-copy"
    shutil.copytree(bundled_embedder_path(), folder)
    manager = _manager(runtime)
    old_bank = runtime.host.models.bank
    assert old_bank is not None
    prepared = manager.prepare_embedder(folder)
    manager.discard_embedder(prepared)
    names = {c.name for c in old_bank.index._client.list_collections()}
    assert names == {old_bank.index._collection.name}
    assert runtime.host.models.bank is old_bank

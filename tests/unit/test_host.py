"""ModelHost: leases keep a swapped-out model open until its last reader ends; swaps are atomic."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.config import Config, MemoryConfig
from app.engine.host import ModelHost, ModelsNotReadyError
from memory.records import Kind
from memory.storage.index import ChromaIndex
from memory.storage.store import SQLiteStore
from tests.unit.fakes import T0, HashEmbedder, ScriptedLLM, make_bank


class ClosingLLM(ScriptedLLM):
    """Counts its closes; `closed` says whether anyone may still use it."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.model_id = name
        self.closes = 0

    @property
    def closed(self) -> bool:
        return self.closes > 0

    def close(self) -> None:
        self.closes += 1


def test_a_swapped_out_model_is_closed_only_after_its_last_lease() -> None:
    old, new = ClosingLLM("old"), ClosingLLM("new")
    host = ModelHost(Config())
    host.swap(llm=old)
    with host.lease() as reply, host.lease() as job:
        host.swap(llm=new)
        assert reply.llm is old and job.llm is old and host.models.llm is new
        assert host.in_use(old) == 2 and old.closes == 0
        with host.lease() as later:
            assert later.llm is new
    assert old.closes == 1 and new.closes == 0
    assert host.in_use(old) == 0 and host.in_use(new) == 0


def test_a_model_nobody_holds_is_closed_at_the_swap() -> None:
    old, new = ClosingLLM("old"), ClosingLLM("new")
    host = ModelHost(Config())
    host.swap(llm=old)
    host.swap(llm=new)
    assert old.closes == 1 and new.closes == 0
    host.swap(llm=new)  # the same model again: nothing retired
    assert new.closes == 0


def test_a_borrowed_model_is_never_closed() -> None:
    shared, other = ClosingLLM("shared"), ClosingLLM("other")
    host = ModelHost(Config())
    host.swap(llm=shared, borrowed=True)
    host.swap(llm=other)
    host.close()
    assert shared.closes == 0 and other.closes == 1


def test_one_swap_changes_model_bank_and_settings_together(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank_a = make_bank(tmp_path / "a", store=store)
    bank_b = make_bank(tmp_path / "b", store=store)
    llm_a, llm_b = ClosingLLM("a"), ClosingLLM("b")
    config_b = Config(memory=MemoryConfig(recall_k=3))
    host = ModelHost(Config())
    host.attach(bank_a, llm_a)
    try:
        with host.lease() as before:
            host.swap(llm=llm_b, bank=bank_b, config=config_b)
            assert (before.llm, before.bank, before.config) == (llm_a, bank_a, Config())
        with host.lease() as after:
            assert (after.llm, after.bank, after.config) == (llm_b, bank_b, config_b)
        assert host.config is config_b and llm_a.closes == 1
    finally:
        bank_a.close()
        bank_b.close()
        store.close()


def test_require_says_the_models_are_still_loading() -> None:
    host = ModelHost(Config())
    assert not host.ready
    with host.lease() as models, pytest.raises(ModelsNotReadyError):
        models.require()
    with pytest.raises(ModelsNotReadyError):
        host.models.require_bank()


def test_an_embedder_switch_drops_the_old_index_after_its_last_reader_and_heals_the_new(
    tmp_path: Path,
) -> None:
    """A job step holding the old bank writes a memory after the switch: the old index stays
    until the step ends, then the new index takes that memory in with the new embedder."""
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    old = make_bank(tmp_path, HashEmbedder(64), store=store)
    old.remember(Kind.NOTE, "My sister Alice lives in Lisbon", T0)
    new_embedder = HashEmbedder(32)
    new_embedder.model_id = "fake/hash-32"
    new = make_bank(tmp_path, new_embedder, store=store)
    new.reconcile()
    host = ModelHost(Config())
    host.attach(old, ClosingLLM("chat"))
    try:
        with host.lease() as step:
            host.swap(bank=new, drop_old_index=True)
            late = step.require_bank().remember(Kind.NOTE, "The boiler was serviced", T0)
            assert late.id in old.index.ids()  # the old index is still there for the step
            assert late.id not in new.index.ids()
        names = {c.name for c in new.index._client.list_collections()}
        assert old.index._collection.name not in names
        assert late.id in new.index.ids()
        assert new_embedder.calls[-1] == ["The boiler was serviced"]
        assert new.index_report().consistent
    finally:
        new.close()
        store.close()


def test_close_takes_everything_out_of_service_when_its_readers_end(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "membank.sqlite3")
    bank = make_bank(tmp_path, store=store)
    closed: list[str] = []
    bank.index.close = lambda: closed.append("index")  # type: ignore[method-assign]
    llm = ClosingLLM("chat")
    host = ModelHost(Config())
    host.attach(bank, llm)
    with host.lease():
        host.close()
        assert not host.ready and llm.closes == 0 and closed == []
    assert llm.closes == 1 and closed == ["index"]
    ChromaIndex.close(bank.index)
    store.close()


def test_readers_on_many_threads_never_hold_a_closed_model() -> None:
    """Swap as fast as possible while readers lease and use the model: a reader that ever sees
    a closed model fails the test (the old code closed it under them)."""
    host = ModelHost(Config())
    host.swap(llm=ClosingLLM("m0"))
    stop = threading.Event()
    seen_closed: list[str] = []
    uses = [0]

    def reader() -> None:
        while not stop.is_set():
            with host.lease() as models:
                llm = models.llm
                assert isinstance(llm, ClosingLLM)
                for _ in range(50):
                    if llm.closed:
                        seen_closed.append(llm.model_id)
                uses[0] += 1

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    swapped = [ClosingLLM(f"m{i}") for i in range(1, 300)]
    for llm in swapped:
        host.swap(llm=llm)
    stop.set()
    for t in threads:
        t.join()
    host.close()
    assert seen_closed == [] and uses[0] > 0
    assert all(llm.closes == 1 for llm in swapped)  # every one closed, exactly once


def _with_temperature(config: Config, value: float) -> Config:
    return config.model_copy(update={"llm": config.llm.model_copy(update={"temperature": value})})


def _with_recall_k(config: Config, k: int) -> Config:
    return config.model_copy(update={"memory": config.memory.model_copy(update={"recall_k": k})})


def test_two_config_edits_at_once_are_both_kept_in_memory_and_on_disk(tmp_path: Path) -> None:
    from app.config import load_config

    path = tmp_path / "config.toml"
    host = ModelHost(Config(), path)
    inside, release = threading.Event(), threading.Event()

    def slow_change(config: Config) -> Config:
        inside.set()  # holds the config lock, mid-edit
        assert release.wait(10)
        return _with_temperature(config, 0.3)

    first = threading.Thread(target=host.update_config, args=(slow_change,))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=host.update_config, args=(lambda c: _with_recall_k(c, 3),))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    for config in (host.config, load_config(path)):
        assert (config.llm.temperature, config.memory.recall_k) == (0.3, 3)


def test_a_config_edit_that_cannot_be_saved_changes_nothing(tmp_path: Path) -> None:
    from app.config import ConfigError

    blocked = tmp_path / "file"
    blocked.write_text("")
    host = ModelHost(Config(), blocked / "config.toml")  # its folder is a file
    with pytest.raises(ConfigError):
        host.update_config(lambda c: _with_recall_k(c, 3))
    assert host.config == Config()

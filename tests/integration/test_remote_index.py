"""The memory index on a REAL Chroma server (`chroma run` on loopback): recall works, the store
heals the server's copy at start, devices sharing the server keep their own vectors, and an
unreachable server is a clear error."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from app.bootstrap import open_bank, open_runtime
from app.config import Config, IndexConfig, save_config
from app.engine.describe import describe_engines
from memory.bank import MemoryBank
from memory.records import Kind
from memory.storage.remote_index import NAMESPACE_FILE, IndexServerUnreachable
from tests.realmodels import shared_embedder
from tests.servers import chroma_server, free_port

pytestmark = [pytest.mark.model, pytest.mark.slow]

NOW = datetime.fromisoformat("2026-11-02T09:00:00+00:00")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


def device(folder: Path, url: str, namespace: str = "") -> Path:
    """A data dir whose settings point the index at `url`."""
    save_config(
        folder / "config.toml", Config(index=IndexConfig(server_url=url, namespace=namespace))
    )
    return folder


class Opened:
    def __init__(self, folder: Path) -> None:
        self.runtime = open_runtime(str(folder), NOW)
        self.bank: MemoryBank = open_bank(self.runtime, shared_embedder())

    def close(self) -> None:
        self.bank.close()
        self.runtime.close()


def opened(folder: Path) -> Opened:
    return Opened(folder)


def test_memories_are_indexed_and_recalled_on_the_server(server: str, tmp_path: Path) -> None:
    laptop = opened(device(tmp_path / "laptop", server))
    try:
        assert server in laptop.bank.index.location
        kept = laptop.bank.remember(Kind.TURN, "The spare key is under the blue flower pot.", NOW)
        laptop.bank.remember(Kind.TURN, "Ana's birthday is on the 4th of May.", NOW)
        found = laptop.bank.recall("where is the spare key", NOW)
        assert found and found[0].memory.id == kept.id
        assert laptop.bank.index_report().consistent
        engines = describe_engines(laptop.runtime.config, laptop.runtime.paths)
        assert server in engines["index_engine"]
    finally:
        laptop.close()


def test_devices_sharing_a_server_keep_their_own_vectors(server: str, tmp_path: Path) -> None:
    a, b = device(tmp_path / "a", server), device(tmp_path / "b", server)
    first = opened(a)
    first.bank.remember(Kind.TURN, "Device A: the boat is moored in Aveiro.", NOW)
    first.close()
    second = opened(b)
    try:
        second.bank.remember(Kind.TURN, "Device B: the bike is in the garage.", NOW)
        report = second.bank.reconcile()
        assert report.orphans == 0  # A's vector is not B's orphan: another collection
        assert second.bank.index.count() == 1
    finally:
        second.close()
    again = opened(a)
    try:
        assert again.bank.index_report().consistent and again.bank.index.count() == 1
        assert (a / NAMESPACE_FILE).read_text() != (b / NAMESPACE_FILE).read_text()
    finally:
        again.close()


def test_a_copy_of_the_store_reuses_the_filled_collection(server: str, tmp_path: Path) -> None:
    """Another device with the same store and namespace finds its vectors already there."""
    home = device(tmp_path / "home", server, namespace="family-store")
    first = opened(home)
    for text in ("Milk is in the fridge.", "The dentist is on Friday.", "Rent is due on the 1st."):
        first.bank.remember(Kind.TURN, text, NOW)
    first.close()
    work = tmp_path / "work"
    shutil.copytree(home, work, ignore=shutil.ignore_patterns("*.lock", "logs"))
    second = opened(work)
    try:
        report = second.bank.reconcile()
        assert (report.memories, report.missing, report.orphans) == (3, 0, 0)  # none re-embedded
        assert second.bank.index.count() == 3
    finally:
        second.close()


def test_the_store_heals_the_server_copy_at_start(server: str, tmp_path: Path) -> None:
    folder = device(tmp_path / "heal", server)
    first = opened(folder)
    memory = first.bank.remember(Kind.TURN, "The passport expires in 2031.", NOW)
    first.bank.index.delete([memory.id])  # the server lost it
    first.bank.index.upsert(["stray"], shared_embedder().embed(["stray"]))  # and gained junk
    first.close()
    second = opened(folder)
    try:
        report = second.bank.reconcile()
        assert (report.missing, report.orphans) == (1, 1)
        assert second.bank.index.ids() == {memory.id}
    finally:
        second.close()


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    folder = device(tmp_path / "offline", url)
    runtime = open_runtime(str(folder), NOW)
    try:
        with pytest.raises(IndexServerUnreachable) as caught:
            open_bank(runtime, shared_embedder())
        message = str(caught.value)
        assert url in message and "chroma run" in message and 'server_url = ""' in message
    finally:
        runtime.close()

"""Model downloads against a real HTTP server on loopback standing in for the hub (HF_ENDPOINT):
complete, resumed after a dropped connection, corrupt, no disk space, cancelled, offline."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.errors import DownloadCancelled, DownloadError
from models.hub import download
from models.hub.discovery import bundled_chat_model_path, bundled_embedder_path
from tests.hub_standin import StandInHub

REPO = "membank-test/SmolLM2-135M-Instruct-GGUF"
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandInHub]:
    stand_in = StandInHub()
    stand_in.add_file(REPO, FILE, bundled_chat_model_path())
    stand_in.start()
    monkeypatch.setenv("HF_ENDPOINT", stand_in.endpoint)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    try:
        yield stand_in
    finally:
        stand_in.stop()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def test_complete_download_reports_progress_and_matches_the_hub(
    hub: StandInHub, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    dest = download.download_file(
        REPO, FILE, tmp_path / FILE, progress=lambda d, t: seen.append((d, t))
    )
    expected = hub.repos[REPO][FILE]
    assert dest.stat().st_size == expected.size
    assert _sha256(dest) == expected.sha256
    assert seen[-1] == (expected.size, expected.size)
    assert len(seen) > 3 and all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))
    assert not (tmp_path / (FILE + ".part")).exists()
    methods = [(m, p.split("/")[1]) for m, p, _ in hub.requests]
    assert ("HEAD", "membank-test") in methods and ("GET", "cdn") in methods


def test_dropped_connection_resumes_with_a_range_request(hub: StandInHub, tmp_path: Path) -> None:
    hub.drop_after = 10_000_000
    dest = download.download_file(REPO, FILE, tmp_path / FILE)
    assert hub.ranges() == [None, "bytes=10000000-"]
    assert _sha256(dest) == hub.repos[REPO][FILE].sha256


def test_interrupted_download_resumes_in_a_later_call(hub: StandInHub, tmp_path: Path) -> None:
    hub.drop_after = 30_000_000
    with pytest.raises(DownloadError, match="resumes where it stopped"):
        download.download_file(REPO, FILE, tmp_path / FILE, retries=0)
    part = tmp_path / (FILE + ".part")
    assert part.stat().st_size == 30_000_000
    assert not (tmp_path / FILE).exists()
    dest = download.download_file(REPO, FILE, tmp_path / FILE)
    assert hub.ranges()[-1] == "bytes=30000000-"
    assert _sha256(dest) == hub.repos[REPO][FILE].sha256


def test_corrupted_download_is_rejected_and_deleted(hub: StandInHub, tmp_path: Path) -> None:
    hub.corrupt = True
    with pytest.raises(DownloadError, match="corrupt.*checksum"):
        download.download_file(REPO, FILE, tmp_path / FILE)
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_start_without_disk_space(
    hub: StandInHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = shutil.disk_usage

    def tiny(path: Any) -> Any:
        usage = real(path)
        return type(usage)(usage.total, usage.total - 50_000_000, 50_000_000)

    monkeypatch.setattr(download.shutil, "disk_usage", tiny)
    with pytest.raises(DownloadError, match=r"Not enough free disk space.*98 MB.*50 MB free"):
        download.download_file(REPO, FILE, tmp_path / FILE)
    assert hub.ranges() == []  # refused before fetching anything


def test_cancel_stops_the_download_and_keeps_the_part(hub: StandInHub, tmp_path: Path) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done > 5_000_000:
            cancel.set()

    with pytest.raises(DownloadCancelled):
        download.download_file(REPO, FILE, tmp_path / FILE, progress=progress, cancel=cancel)
    part = tmp_path / (FILE + ".part")
    assert 5_000_000 < part.stat().st_size < hub.repos[REPO][FILE].size
    assert not (tmp_path / FILE).exists()


def test_offline_mode_refuses_but_membank_own_default_does_not(
    hub: StandInHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadError, match="Offline mode"):
        download.download_file(REPO, FILE, tmp_path / FILE)
    monkeypatch.setenv("MEMBANK_OFFLINE_DEFAULTS", "HF_HUB_OFFLINE")  # set by the embedder
    assert download.download_file(REPO, FILE, tmp_path / FILE).is_file()


def test_unknown_file_names_the_repo(hub: StandInHub, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="could not provide membank-test/.*/nope.gguf"):
        download.download_file(REPO, "nope.gguf", tmp_path / "nope.gguf")


def test_snapshot_download_of_an_embedder_repo(hub: StandInHub, tmp_path: Path) -> None:
    hub.add_folder("membank-test/minilm", bundled_embedder_path())
    dest = download.download_snapshot("membank-test/minilm", tmp_path / "minilm")
    source = bundled_embedder_path()
    for name in ("model.safetensors", "modules.json", "1_Pooling/config.json", "tokenizer.json"):
        assert (dest / name).read_bytes() == (source / name).read_bytes()
    assert not (dest / ".gitattributes").exists()
    assert not (tmp_path / "minilm.part").exists()

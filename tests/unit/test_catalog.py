"""The model catalog file and the fit hints (pure logic: no models, no network)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from models.errors import CatalogError
from models.hub.catalog import default_catalog_text, find_entry, load_catalog
from models.hub.hardware import HardwareInfo, assess, system_ram

GB = 1_000_000_000


def test_the_shipped_catalog_has_the_curated_models() -> None:
    entries = load_catalog()
    chat = {e.id for e in entries if e.kind == "chat"}
    assert {
        "qwen2.5-1.5b-instruct",
        "qwen2.5-3b-instruct",
        "qwen2.5-7b-instruct",
        "llama-3.2-3b-instruct",
        "llama-3.1-8b-instruct",
        "gemma-2-2b-it",
        "phi-3.5-mini-instruct",
    } == chat
    for e in entries:
        if e.kind == "chat":
            assert e.filename and e.filename.endswith(".gguf") and e.quantization == "Q4_K_M"
            assert e.ram_bytes > e.size_bytes and e.vram_bytes > 0 and e.n_layers > 0
        else:
            assert e.filename is None and e.dim == 384 and e.languages
    assert [e.id for e in entries if e.bundled] == ["all-MiniLM-L6-v2"]
    assert "APPROXIMATE" in default_catalog_text()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("size_bytes = 986_048_000", "size_bytes = -1"), "size_bytes"),
        (lambda t: t.replace('filename = "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"', ""), "filename"),
        (
            lambda t: t.replace('repo_id = "BAAI/bge-small-en-v1.5"', 'repo_id = "no slash"'),
            "repo_id",
        ),
        (lambda t: t.replace('id = "gemma-2-2b-it"', 'id = "phi-3.5-mini-instruct"'), "twice"),
        (lambda t: t + "\n[[chat]\n", "cannot be read"),
        (
            lambda t: t.replace("dim = 384\n", 'dim = 384\nfilename = "x.bin"\n', 1),
            "whole repository",
        ),
    ],
)
def test_a_bad_catalog_file_is_a_clear_error(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "catalog.toml"
    path.write_text(edit(default_catalog_text()))
    with pytest.raises(CatalogError, match=message) as info:
        load_catalog(path)
    assert str(path) in str(info.value)


def _entry(entry_id: str = "qwen2.5-7b-instruct"):  # type: ignore[no-untyped-def]
    entry = find_entry(load_catalog(), entry_id)
    assert entry is not None
    return entry


def test_fit_on_cpu_by_available_and_total_ram() -> None:
    e = dataclasses.replace(_entry(), ram_bytes=5 * GB)
    cpu = dict(gpu_offload=False, vram_bytes=None)
    assert assess(e, HardwareInfo(16 * GB, 10 * GB, **cpu)).fit == "fits"  # type: ignore[arg-type]
    tight = assess(e, HardwareInfo(16 * GB, 4 * GB, **cpu))  # type: ignore[arg-type]
    assert tight.fit == "tight" and "close other programs" in tight.reason
    big = assess(e, HardwareInfo(4 * GB, 3 * GB, **cpu))  # type: ignore[arg-type]
    assert big.fit == "too_big" and "smaller model" in big.reason and big.gpu_layers == 0


def test_gpu_offload_suggests_layers_by_vram() -> None:
    e = dataclasses.replace(_entry(), vram_bytes=5 * GB, ram_bytes=6 * GB, n_layers=28)
    full = assess(e, HardwareInfo(8 * GB, 2 * GB, gpu_offload=True, vram_bytes=8 * GB))
    assert full.fit == "fits" and full.gpu_layers == 28 and "GPU" in full.reason
    half = assess(e, HardwareInfo(16 * GB, 12 * GB, gpu_offload=True, vram_bytes=3 * GB))
    assert 0 < half.gpu_layers < 28 and f"{half.gpu_layers} of 28 layers" in half.reason
    unknown = assess(e, HardwareInfo(16 * GB, 12 * GB, gpu_offload=True, vram_bytes=None))
    assert unknown.gpu_layers == 28 and "VRAM unknown" in unknown.reason
    no_build = assess(e, HardwareInfo(16 * GB, 12 * GB, gpu_offload=False, vram_bytes=8 * GB))
    assert no_build.gpu_layers == 0


def test_the_ram_figures_are_this_machine_s() -> None:
    total, available = system_ram()
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert abs(total - physical) <= physical // 100
    assert 0 < available <= total

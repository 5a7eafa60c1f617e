"""The embedder backend setting, the ONNX export's cache key and cache, and the torch fallback
(no models: the export and both embedders are stand-ins; tests/integration/
test_embedder_backend.py runs the real ones)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import models.embedder_backend as backend_mod
import models.onnx_embedder as onnx_mod
from app.config import Config, ConfigError, cache_dir, load_config
from memory.storage.index import collection_name
from models.embedder_backend import BACKENDS, backend_model_id, load_sentence_embedder
from models.errors import ModelLoadError
from models.onnx_cache import (
    FP32_FILE,
    INT8_FILE,
    OnnxUnsupportedError,
    cache_key,
    cached_export,
    check_exportable,
)
from tests.conftest import ExpectWarnings


def minilm_like(folder: Path, *, pooling: str = "mean", weights: bytes = b"w" * 64) -> Path:
    """A folder laid out like the bundled MiniLM (transformer at the root, mean pooling)."""
    (folder / "1_Pooling").mkdir(parents=True)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
        {
            "idx": 2,
            "name": "2",
            "path": "2_Normalize",
            "type": "sentence_transformers.models.Normalize",
        },
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": 8,
                "pooling_mode_cls_token": pooling == "cls",
                "pooling_mode_mean_tokens": pooling == "mean",
                "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False,
            }
        )
    )
    (folder / "tokenizer.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(weights)
    return folder


class Exports:
    """Stands in for torch.onnx's export and onnxruntime's quantizer, counting each."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> None:
        self.exported: list[Path] = []
        self.quantized: list[Path] = []
        self.fail = fail
        monkeypatch.setattr(onnx_mod, "export_onnx", self.export)
        monkeypatch.setattr(onnx_mod, "quantize_int8", self.quantize)

    def export(self, folder: Path, out: Path, *, int8: bool = False) -> Path:
        self.exported.append(folder)
        if self.fail:
            out.write_bytes(b"half")  # a partial file that must never reach the cache
            raise RuntimeError("the exporter broke")
        out.write_bytes(b"fp32 graph")
        return out

    def quantize(self, plain: Path, out: Path) -> Path:
        self.quantized.append(plain)
        out.write_bytes(b"int8 of " + plain.read_bytes())
        return out


# --- the cache key -------------------------------------------------------------------------


def test_the_key_follows_the_files_content_not_the_folder_name(tmp_path: Path) -> None:
    a = minilm_like(tmp_path / "a")
    copy = minilm_like(tmp_path / "copy-under-another-name")
    changed = minilm_like(tmp_path / "changed", weights=b"x" * 64)
    assert cache_key(a) == cache_key(copy)
    assert cache_key(a) != cache_key(changed)
    (copy / "extra.txt").write_text("a file added")
    assert cache_key(copy) != cache_key(a)


def test_only_a_mean_pooled_transformer_at_the_root_is_exported(tmp_path: Path) -> None:
    check_exportable(minilm_like(tmp_path / "ok"))
    with pytest.raises(OnnxUnsupportedError, match="not a plain mean"):
        check_exportable(minilm_like(tmp_path / "cls", pooling="cls"))
    with pytest.raises(OnnxUnsupportedError, match="modules.json"):
        check_exportable(tmp_path)


# --- the cache -----------------------------------------------------------------------------


def test_the_export_is_made_once_and_int8_is_quantized_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = minilm_like(tmp_path / "minilm")
    cache = tmp_path / "cache"
    exports = Exports(monkeypatch)
    fp32 = cached_export(folder, cache, int8=False)
    int8 = cached_export(folder, cache, int8=True)
    again = cached_export(minilm_like(tmp_path / "same-model"), cache, int8=True)
    assert exports.exported == [folder] and exports.quantized == [fp32]
    assert again == int8 and int8.read_bytes() == b"int8 of fp32 graph"
    entry = cache / cache_key(folder)
    assert fp32 == entry / FP32_FILE and int8 == entry / INT8_FILE
    names = {p.name for p in entry.iterdir()}
    assert names == {FP32_FILE, INT8_FILE, "source.json"}  # no scratch folder left behind


def test_a_failed_export_leaves_nothing_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = minilm_like(tmp_path / "minilm")
    cache = tmp_path / "cache"
    Exports(monkeypatch, fail=True)
    with pytest.raises(RuntimeError, match="exporter broke"):
        cached_export(folder, cache, int8=True)
    assert list((cache / cache_key(folder)).iterdir()) == []
    exports = Exports(monkeypatch)  # the next start tries again
    assert cached_export(folder, cache, int8=False).read_bytes() == b"fp32 graph"
    assert exports.exported == [folder]


# --- backend selection ---------------------------------------------------------------------


class StandIn:
    """Records how an embedder was built; vectors are not the point here."""

    def __init__(self, folder: Path, *args: Any, **_: Any) -> None:
        self.folder = folder
        self.args = args
        self.model_id: str = args[-1]

    @property
    def dim(self) -> int:
        return 8

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.zeros((len(texts), 8), dtype=np.float32)


class TorchStandIn(StandIn):
    pass


class OnnxStandIn(StandIn):
    broken = False

    def __init__(self, folder: Path, *args: Any, **kw: Any) -> None:
        if self.broken:
            raise ModelLoadError(str(args[0]), "ONNX Runtime could not load it (stand-in)")
        super().__init__(folder, *args, **kw)


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> Exports:
    monkeypatch.setattr(backend_mod, "SentenceEmbedder", TorchStandIn)
    monkeypatch.setattr(onnx_mod, "OnnxEmbedder", OnnxStandIn)
    return Exports(monkeypatch)


def test_each_backend_names_its_own_vectors() -> None:
    ids = {backend_model_id("all-MiniLM-L6-v2", b) for b in BACKENDS}
    assert backend_model_id("all-MiniLM-L6-v2", "torch") == "all-MiniLM-L6-v2"  # as before
    # Different names, different index collections: a backend change re-embeds every memory.
    assert len({collection_name(i, 384) for i in ids}) == len(BACKENDS) == 3


@pytest.mark.parametrize(
    ("backend", "kind", "onnx_file"),
    [
        ("torch", TorchStandIn, None),
        ("onnx", OnnxStandIn, FP32_FILE),
        ("onnx-int8", OnnxStandIn, INT8_FILE),
    ],
)
def test_the_setting_picks_the_backend(
    tmp_path: Path, stand_ins: Exports, backend: Any, kind: type, onnx_file: str | None
) -> None:
    folder = minilm_like(tmp_path / "minilm")
    embedder = load_sentence_embedder(folder, "minilm", backend, tmp_path / "cache")
    assert type(embedder) is kind
    assert embedder.model_id == backend_model_id("minilm", backend)
    if onnx_file is None:
        assert stand_ins.exported == [] and not (tmp_path / "cache").exists()
    else:
        assert isinstance(embedder, StandIn) and embedder.args[0].name == onnx_file


def test_a_failed_export_falls_back_to_torch_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expect_warnings: ExpectWarnings
) -> None:
    monkeypatch.setattr(backend_mod, "SentenceEmbedder", TorchStandIn)
    Exports(monkeypatch, fail=True)
    folder = minilm_like(tmp_path / "minilm")
    with expect_warnings(r"onnx-int8 unavailable for minilm .*exporter broke.*using torch") as got:
        embedder = load_sentence_embedder(folder, "minilm", "onnx-int8", tmp_path / "cache")
    assert type(embedder) is TorchStandIn and embedder.model_id == "minilm"
    assert len(got) == 1 and "\n" not in got[0].getMessage()


def test_a_damaged_cached_export_is_dropped_and_made_again_next_time(
    tmp_path: Path,
    stand_ins: Exports,
    monkeypatch: pytest.MonkeyPatch,
    expect_warnings: ExpectWarnings,
) -> None:
    folder = minilm_like(tmp_path / "minilm")
    cache = tmp_path / "cache"
    monkeypatch.setattr(OnnxStandIn, "broken", True)
    with expect_warnings(r"backend onnx unavailable .*ModelLoadError"):
        assert type(load_sentence_embedder(folder, "m", "onnx", cache)) is TorchStandIn
    assert not (cache / cache_key(folder) / FP32_FILE).exists()
    monkeypatch.setattr(OnnxStandIn, "broken", False)
    assert type(load_sentence_embedder(folder, "m", "onnx", cache)) is OnnxStandIn
    assert len(stand_ins.exported) == 2


def test_the_models_layout_check_refuses_before_any_export(
    tmp_path: Path, stand_ins: Exports, expect_warnings: ExpectWarnings
) -> None:
    folder = minilm_like(tmp_path / "cls", pooling="cls")
    with expect_warnings(r"OnnxUnsupportedError: .*not a plain mean\); using torch"):
        embedder = load_sentence_embedder(folder, "cls", "onnx-int8", tmp_path / "cache")
    assert type(embedder) is TorchStandIn and stand_ins.exported == []


# --- the setting and where the cache lives -------------------------------------------------


def test_the_backend_setting_is_validated_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[embedder]\nbackend = "onnx-int8"\n')
    assert load_config(path).embedder.backend == "onnx-int8"
    path.write_text('[embedder]\nbackend = "cuda"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "embedder.backend" in message and "'cuda'" in message and "\n" not in message
    assert Config().embedder.backend in BACKENDS


def test_the_cache_folder_is_membank_cache_or_the_platform_one(tmp_path: Path) -> None:
    assert cache_dir({"MEMBANK_CACHE": str(tmp_path)}) == tmp_path.resolve()
    assert cache_dir({}).name == "membank"

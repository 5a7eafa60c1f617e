"""The ONNX export of a sentence-transformers folder, made once on this machine and cached.

The cache is keyed by the content of the folder's files (a copy of the same model under another
name reuses it; a file changed in place makes a new one). The fp32 export needs torch once; the
int8 copy is quantized from it without torch. A file lock makes two processes starting at once
export one time, and every file appears under its final name complete or not at all."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from models.errors import MembankError

log = logging.getLogger(__name__)

# Bump when the export itself changes (opset, inputs, outputs): old entries are then ignored.
EXPORT_FORMAT = 1
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
_MEAN_ONLY = {
    "pooling_mode_cls_token": False,
    "pooling_mode_max_tokens": False,
    "pooling_mode_mean_sqrt_len_tokens": False,
}


class OnnxUnsupportedError(MembankError):
    title = "ONNX not available for this model"


def folder_digest(folder: Path) -> str:
    """sha256 over every file's relative path and content (~0.2 s for MiniLM's 90 MB)."""
    total = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        total.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with path.open("rb") as fh:
            total.update(hashlib.file_digest(fh, "sha256").digest())
    return total.hexdigest()


def cache_key(folder: Path) -> str:
    """The cache entry's name for `folder`: its files' digest and the export format."""
    digest = hashlib.sha256(f"{EXPORT_FORMAT}:{folder_digest(folder)}".encode()).hexdigest()
    return digest[:32]


def check_exportable(folder: Path) -> None:
    """Raise OnnxUnsupportedError unless `folder` is a transformer with mean pooling at its
    root (MiniLM's layout), which is what `OnnxEmbedder` reproduces in numpy."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        transformer = modules[0]
        pooling = json.loads(
            (folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise OnnxUnsupportedError(
            f"{folder} has no readable modules.json and pooling config ({exc})"
        ) from exc
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        raise OnnxUnsupportedError(f"{folder}: modules {kinds} are not transformer + pooling")
    if transformer.get("path", "") != "" or not (folder / "tokenizer.json").is_file():
        raise OnnxUnsupportedError(
            f"{folder}: the transformer or tokenizer.json is not at its root"
        )
    if not pooling.get("pooling_mode_mean_tokens") or any(
        pooling.get(name, False) != value for name, value in _MEAN_ONLY.items()
    ):
        raise OnnxUnsupportedError(f"{folder}: its pooling is not a plain mean")


def cached_export(folder: Path, cache_dir: Path, *, int8: bool) -> Path:
    """The ONNX file for `folder` (dynamic int8 when `int8`), exported into `cache_dir` the
    first time and reused after. Raises OnnxUnsupportedError or whatever the export raises."""
    from models.onnx_embedder import export_onnx, quantize_int8

    check_exportable(folder)
    entry = cache_dir / cache_key(folder)
    wanted = entry / (INT8_FILE if int8 else FP32_FILE)
    if wanted.is_file():
        return wanted
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(entry) + ".lock"):
        if wanted.is_file():  # another process made it while this one waited
            return wanted
        entry.mkdir(exist_ok=True)
        plain = entry / FP32_FILE
        if not plain.is_file():
            log.info("exporting %s to ONNX, once, into %s", folder, entry)
            _atomic(plain, lambda tmp: export_onnx(folder, tmp / FP32_FILE))
            (entry / "source.json").write_text(
                json.dumps({"folder": str(folder), "format": EXPORT_FORMAT}), encoding="utf-8"
            )
        if int8:
            log.info("quantizing the ONNX export of %s to int8, once", folder)
            _atomic(wanted, lambda tmp: quantize_int8(plain, tmp / INT8_FILE))
    return wanted


def _atomic(final: Path, make: Callable[[Path], Path]) -> None:
    """Run `make` in a scratch folder beside `final`, then move its file into place."""
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=final.parent))
    try:
        made = make(tmp)
        if any(p != made for p in tmp.iterdir()):
            # A model over 2 GB is exported with its weights in side files beside the graph.
            raise OnnxUnsupportedError(f"the ONNX export of {final.parent} is not one file")
        os.replace(made, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

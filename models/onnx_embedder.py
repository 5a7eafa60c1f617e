"""MiniLM through ONNX Runtime: the bundled sentence-transformers folder exported to ONNX here,
on this machine (never downloaded), optionally with dynamic int8 weights.

sentence-transformers' own `backend="onnx"`/`"openvino"` need `optimum`/`optimum-intel`, which
pin transformers < 4.58 (this venv has 5.x), so the export is done with torch.onnx directly and
the pooling (mean over tokens) and normalisation are redone in numpy."""

from __future__ import annotations

import json
import logging
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.embedder import offline_defaults
from models.errors import ModelLoadError

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(folder: Path, out: Path, *, int8: bool = False) -> Path:
    """Write `folder`'s transformer as ONNX to `out` (and a dynamic-int8 copy when `int8`).
    Needs torch and the `onnx` package; minutes of CPU at most, once."""
    offline_defaults()
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)

    class Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    sample = tokenizer(
        ["a short one", "and a somewhat longer sentence"], return_tensors="pt", padding=True
    )
    plain = out if not int8 else out.with_name(out.stem + "-fp32.onnx")
    out.parent.mkdir(parents=True, exist_ok=True)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "hidden")}
    # The exporter warns about tracing details of BERT that do not apply to this fixed graph.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden(model),
            tuple(sample[name] for name in INPUTS),
            str(plain),
            input_names=list(INPUTS),
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    if int8:
        quantize_int8(plain, out)
        plain.unlink()
    return out


def quantize_int8(plain: Path, out: Path) -> Path:
    """Write a dynamic-int8 copy of the fp32 ONNX file `plain` to `out` (seconds, no torch)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # It logs a WARNING on the root logger suggesting pre-processing, which adds nothing here.
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(str(plain), str(out), weight_type=QuantType.QInt8)
    finally:
        logging.disable(logging.NOTSET)
    return out


class OnnxEmbedder:
    """Normalized float32 vectors from an ONNX export of a sentence-transformers folder
    (mean pooling, as MiniLM's 1_Pooling says). No torch at run time."""

    def __init__(
        self,
        folder: Path,
        onnx_path: Path,
        model_id: str,
        *,
        threads: int = 0,
        batch_size: int = 64,
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            self._session: Any = ort.InferenceSession(
                str(onnx_path), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
            config = json.loads((folder / "sentence_bert_config.json").read_text())
        except Exception as exc:  # noqa: BLE001 - any failure here means "cannot load"
            raise ModelLoadError(str(onnx_path), f"ONNX Runtime could not load it ({exc})") from exc
        self._tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
        self._tokenizer.enable_padding()
        self._dim = int(self._session.get_outputs()[0].shape[-1] or 384)
        self.folder = folder
        self.model_id = model_id
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        # Similar lengths together, as sentence-transformers does: less padding per batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with self._lock:
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                encoded = self._tokenizer.encode_batch([texts[i] for i in rows])
                ids = np.array([e.ids for e in encoded], dtype=np.int64)
                mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
                feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
                hidden = self._session.run(None, feed)[0]
                weights = mask[..., None].astype(np.float32)
                pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
                pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
                out[rows] = pooled
        return out

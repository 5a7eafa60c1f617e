"""Benchmark: model download from the loopback hub stand-in, GGUF metadata read, chat-model
switch and embedder switch (re-embedding). Prints a table; writes docs/benchmarks.md unless
--no-write.  Run: PYTHONPATH=. .venv/bin/python -m tests.benchmarks.models_bench [--memories N]"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from app.bench.recall import write_section
from app.bench.runner import DOC
from app.bootstrap import load_embedder, load_llm, open_bank, open_runtime
from app.engine.model_manager import ModelManager
from memory.bank import Draft
from memory.records import Kind
from models.hub import download
from models.hub.discovery import bundled_chat_model_path, bundled_embedder_path
from models.hub.gguf_info import read_gguf_info
from tests.hub_standin import StandInHub


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memories", type=int, default=1000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    os.environ.pop("HF_HUB_OFFLINE", None)
    os.environ.pop("TRANSFORMERS_OFFLINE", None)
    rows: list[tuple[str, str]] = []
    gguf = bundled_chat_model_path()
    size_mb = gguf.stat().st_size / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hub = StandInHub()
        hub.add_file("bench/model-GGUF", "model.gguf", gguf)
        hub.start()
        os.environ["HF_ENDPOINT"] = hub.endpoint
        try:
            secs, _ = _timed(
                lambda: download.download_file("bench/model-GGUF", "model.gguf", root / "a.gguf")
            )
            rows.append(
                (
                    f"download {size_mb:.0f} MB GGUF (loopback, incl. sha256 check)",
                    f"{secs:.2f} s ({size_mb / secs:.0f} MB/s)",
                )
            )
            hub.drop_after = int(gguf.stat().st_size / 2)
            secs, _ = _timed(
                lambda: download.download_file("bench/model-GGUF", "model.gguf", root / "b.gguf")
            )
            rows.append(("same, connection dropped at 50 % and resumed", f"{secs:.2f} s"))
        finally:
            hub.stop()
        secs, _ = _timed(lambda: read_gguf_info(gguf))
        rows.append(("read GGUF metadata (vocab only, no weights)", f"{secs * 1000:.0f} ms"))

        runtime = open_runtime(str(root / "data"))
        try:
            embedder = load_embedder(runtime.config)
            bank = open_bank(runtime, embedder)
            runtime.host.attach(bank, load_llm(runtime.config))
            now = datetime.now(UTC)
            bank.remember_many(
                [
                    Draft(Kind.NOTE, f"Note {i}: the meeting about topic {i % 37} went well.")
                    for i in range(args.memories)
                ],
                now,
            )
            manager = ModelManager(runtime)
            copy = root / "other.gguf"
            shutil.copyfile(gguf, copy)
            secs, _ = _timed(lambda: manager.use_chat_model(copy))
            rows.append(
                ("switch chat model (load new SmolLM2 GGUF, swap, save config)", f"{secs:.2f} s")
            )
            folder = root / "minilm-copy"
            shutil.copytree(bundled_embedder_path(), folder)
            secs, _ = _timed(lambda: manager.use_embedder(folder))
            rows.append(
                (
                    f"switch embedder: re-embed {args.memories} memories (MiniLM copy)",
                    f"{secs:.1f} s ({args.memories / secs:.0f} memories/s)",
                )
            )
        finally:
            runtime.close()
    table = "| step | time |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    print(table)
    if not args.no_write:
        command = "PYTHONPATH=. .venv/bin/python -m tests.benchmarks.models_bench " + " ".join(
            shlex.quote(a) for a in sys.argv[1:]
        )
        write_section(DOC, "models", command.strip(), table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

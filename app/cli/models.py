"""`membank-cli models list|download|use|remove|add`: the model catalog from a terminal."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from app.bootstrap import Runtime, load_embedder, open_bank
from app.engine.model_manager import ModelManager, ModelManagerError, ModelStatus
from models.errors import DownloadCancelled
from models.hub.catalog import find_entry


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("models", help="the model catalog: list, download, use, remove, add")
    msub = parser.add_subparsers(dest="models_action", required=True, metavar="ACTION")
    lst = msub.add_parser("list", help="catalog models, fit for this machine, installed, active")
    lst.add_argument("--json", action="store_true")
    download = msub.add_parser("download", help="download a catalog model (Ctrl-C cancels)")
    download.add_argument("id")
    use = msub.add_parser("use", help="switch to a catalog model, a .gguf file or a model folder")
    use.add_argument("id_or_path")
    remove = msub.add_parser("remove", help="delete a downloaded model (not the one in use)")
    remove.add_argument("id_or_path")
    add = msub.add_parser("add", help="add a GGUF file to the models folder")
    add.add_argument("path", type=Path)


def handles(args: argparse.Namespace) -> bool:
    return bool(args.command == "models")


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    manager = ModelManager(runtime)
    action = args.models_action
    if action == "list":
        return _list(manager, args.json)
    if action == "download":
        return _download(manager, args.id)
    if action == "use":
        return _use(manager, args.id_or_path)
    if action == "remove":
        print(f"removed {manager.remove(args.id_or_path)}")
        return 0
    for warning in manager.add_gguf(args.path):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"added {manager.models_dir / args.path.name}")
    return 0


def status_json(status: ModelStatus) -> dict[str, Any]:
    e = status.entry
    return {
        "id": e.id,
        "kind": e.kind,
        "name": e.name,
        "repo_id": e.repo_id,
        "filename": e.filename,
        "size_bytes": e.size_bytes,
        "quantization": e.quantization,
        "context_length": e.context_length,
        "licence": e.licence,
        "ram_bytes": e.ram_bytes,
        "vram_bytes": e.vram_bytes,
        "n_layers": e.n_layers,
        "dim": e.dim,
        "languages": list(e.languages),
        "fit": status.advice.fit,
        "reason": status.advice.reason,
        "gpu_layers": status.advice.gpu_layers,
        "installed_path": str(status.installed_path) if status.installed_path else None,
        "active": status.active,
    }


def _list(manager: ModelManager, as_json: bool) -> int:
    statuses = manager.entries()
    if as_json:
        print(json.dumps([status_json(s) for s in statuses], indent=2))
        return 0
    for s in statuses:
        mark = "*" if s.active else ("+" if s.installed_path else " ")
        size = f"{s.entry.size_bytes / 1e9:.2f} GB"
        fit = s.advice.fit.replace("_", " ")
        print(f"{mark} {s.entry.id:40} {s.entry.kind:8} {size:>8}  {fit:8} {s.advice.reason}")
    print("(* in use, + downloaded)")
    return 0


def _download(manager: ModelManager, entry_id: str) -> int:
    manager.entry(entry_id)  # unknown id: a clear error before any thread
    cancel = threading.Event()
    result: dict[str, Any] = {}
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or done == total:
            last[0] = now
            pct = 100 * done / total if total else 100
            print(
                f"\r{done / 1e6:,.1f} / {total / 1e6:,.1f} MB ({pct:.0f}%)",
                end="",
                file=sys.stderr,
                flush=True,
            )

    finished = threading.Event()

    def work() -> None:
        try:
            result["path"] = manager.download(entry_id, progress, cancel)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            result["error"] = exc
        finally:
            finished.set()

    # The download runs in a thread so Ctrl-C (in the main thread) cancels it between chunks.
    # An Event, not Thread.join: a join interrupted by Ctrl-C can lose track of the thread.
    # Ctrl-C is listened for explicitly: a command a non-interactive shell starts in the
    # background inherits SIGINT ignored, and Python then installs no handler at all, so the
    # signal would be dropped and the download run to the end.
    in_main = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGINT, signal.default_int_handler) if in_main else None
    threading.Thread(target=work, name="membank-download", daemon=True).start()
    try:
        while not finished.wait(0.2):
            pass
    except KeyboardInterrupt:
        cancel.set()
        print("\ncancelling (the part fetched so far is kept)...", file=sys.stderr, flush=True)
        finished.wait()
    finally:
        if in_main and before is not None:
            signal.signal(signal.SIGINT, before)
    print(file=sys.stderr)
    error = result.get("error")
    if isinstance(error, DownloadCancelled):
        print(f"cancelled: {error}", file=sys.stderr)
        return 130
    if error is not None:
        raise error
    print(f"downloaded {result['path']}")
    return 0


def _use(manager: ModelManager, id_or_path: str) -> int:
    entry = find_entry(manager.catalog, id_or_path)
    if entry is not None:
        path = manager.installed_path(entry)
        if path is None:
            raise ModelManagerError(
                f"{entry.name} is not downloaded yet: run `membank-cli models download "
                f"{entry.id}` first."
            )
        kind = entry.kind
    else:
        path = Path(id_or_path).expanduser().resolve()
        kind = "embedder" if path.is_dir() else "chat"
    if kind == "chat":
        manager.use_chat_model(path)
        print(f"chat model: {path}")
        return 0
    runtime = manager.runtime
    if runtime.host.models.bank is None:  # the old index is dropped after the switch
        runtime.host.swap(bank=open_bank(runtime, load_embedder(runtime.config)))

    def progress(done: int, total: int) -> None:
        print(f"\rre-embedding memories: {done} / {total}", end="", file=sys.stderr, flush=True)

    manager.use_embedder(path, progress)
    print(file=sys.stderr)
    print(f"embedder: {path}")
    return 0

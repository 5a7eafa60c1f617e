"""After a kill -9 and a restart: is the store consistent, and is every call that had returned
(acknowledged by the worker) there exactly once?"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from app.bootstrap import Runtime
from memory.archive.reader import read_archive
from memory.bank import MemoryBank
from memory.storage.consistency import check


def read_acks(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def check_restart(runtime: Runtime, bank: MemoryBank, acks_path: Path) -> dict[str, Any]:
    store = runtime.store
    report = check(store, bank.index)
    acks = read_acks(acks_path)
    messages = Counter(r["text"] for r in store.rows("SELECT text FROM messages WHERE role='user'"))
    memories = Counter(
        (r["kind"], r["text"])
        for r in store.rows("SELECT kind, text FROM memories WHERE kind IN ('turn', 'note')")
    )
    ids = store.all_memory_ids()
    forgotten = {a["text"] for a in acks if a["kind"] == "forgot"}
    in_flight = {a["text"] for a in acks if a["kind"] == "forgetting"} - forgotten
    failures = [f"{f.check}: {f.detail}" for f in report.findings]
    failures += [f"user message stored {n} times: {t!r}" for t, n in messages.items() if n > 1]
    failures += [f"{k} memory stored {n} times: {t!r}" for (k, t), n in memories.items() if n > 1]
    for ack in acks:
        kind = ack["kind"]
        if kind == "turn":
            if messages[ack["text"]] != 1 or memories[("turn", ack["text"])] != 1:
                failures.append(f"acknowledged turn missing: {ack['text']!r}")
        elif kind == "note":
            want = {0} if ack["text"] in forgotten else {1}
            if ack["text"] in in_flight:  # the kill came during its forget call
                want = {0, 1}
            if memories[("note", ack["text"])] not in want:
                n = memories[("note", ack["text"])]
                failures.append(f"acknowledged note present {n}x: {ack['text']!r}")
        elif kind == "forgot":
            if memories[("note", ack["text"])]:
                failures.append(f"forgotten note still there: {ack['text']!r}")
        elif kind == "import":
            records = read_archive(Path(ack["archive"])).records["memories"]
            texts = Counter(t for (_, t) in memories.elements())
            lost = [m for m in records if m["id"] not in ids and texts[m["text"]] != 1]
            if lost:
                failures.append(f"{len(lost)} memories of an acknowledged import missing")
    return {
        "clean": not failures,
        "failures": failures[:10],
        "acks": sum(1 for a in acks if a["kind"] != "ready"),
        "memories": len(ids),
        "findings": [f.check for f in report.findings],
    }

"""The crash harness's worker side (`python -m app.bench.crash_child`).

It loads torch and MiniLM once, then forks one child per run: a worker that ingests until it
is killed with SIGKILL, or a checker that restarts on the data folder the way membank starts
and checks it. Forking from a loaded process is what makes 50 kills fit in a few minutes.
Protocol (JSON lines): stdin {"op": "work"|"verify"|"prepare", ...} -> stdout {"pid": n}
then {"exited": n, "status": code_or_-signal}.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from app.bootstrap import Runtime, load_embedder, load_llm, open_bank, open_runtime
from app.config import BackupConfig, Config, LLMConfig, save_config
from memory.records import Kind
from models.protocols import Embedder

WORDS = (
    "cat garden paris cello berlin coffee train sister piano recipe hiking book winter "
    "doctor python lake bicycle tomato museum violin river office"
).split()


def setup_data_dir(data: Path) -> None:
    """Short replies (the reply is not what is being tested) and few backups."""
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "config.toml").exists():
        config = Config(llm=LLMConfig(max_tokens=16, n_threads=1), backup=BackupConfig(keep=2))
        save_config(data / "config.toml", config)


class Worker:
    """Runs one phase's operations forever, writing an acknowledgement after each returned call."""

    def __init__(self, phase: str, data: Path, acks: Path, seed: int, embedder: Embedder) -> None:
        self.started = time.monotonic()
        self.phase = phase
        self.archives = data.parent / "archives"
        self.rng = random.Random(seed)
        self.seed = seed
        self.runtime = open_runtime(str(data))
        self.bank = open_bank(self.runtime, embedder)
        self.bank.reconcile(quick=True)  # what start-up does
        self._acks = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.n = 0

    def ack(self, **fields: Any) -> None:
        # One small O_APPEND write: a kill never leaves half a line.
        fields.setdefault("t", round(time.monotonic() - self.started, 2))
        os.write(self._acks, (json.dumps(fields) + "\n").encode())

    def text(self, what: str) -> str:
        self.n += 1
        words = " ".join(self.rng.choice(WORDS) for _ in range(6))
        return f"{what} {self.seed}-{self.n}: {words}"

    def run(self) -> None:
        host = self.runtime.host
        if self.phase in ("chat", "consolidate"):
            host.attach(self.bank, load_llm(self.runtime.config))
        elif self.phase == "ingest":
            host.attach(self.bank, _InstantReply())  # type: ignore[arg-type]
        else:
            host.attach(self.bank, _NoLLM())  # type: ignore[arg-type] # remember/import/forget never call the model
        self.ack(kind="ready", run=self.seed)  # the parent starts its kill timer now
        while True:
            getattr(self, f"_{self.phase}")()

    def _chat(self, turns: int = 3) -> None:
        chat, curation = self.runtime.chat, self.runtime.curation
        conversation = chat.new_conversation()
        for _ in range(turns):
            text = self.text("turn")
            list(chat.send(conversation.id, text, cancel=threading.Event()))
            self.ack(kind="turn", text=text)
            note = self.text("note")
            curation.remember(note)
            self.ack(kind="note", text=note)

    def _ingest(self) -> None:
        self._chat()  # the same send()/remember() path, with a reply that costs nothing

    def _consolidate(self) -> None:
        # Turns written as send() writes them (no reply: a 135M reply on a busy machine takes
        # longer than most kill windows), then the daily job with the real model.
        store, now = self.runtime.store, self.runtime.clock.now()
        conversation = self.runtime.chat.new_conversation()
        for _ in range(2):
            text = self.text("turn")
            message = store.add_message(conversation.id, "user", text, now)
            self.bank.remember(
                Kind.TURN,
                text,
                now,
                conversation_id=conversation.id,
                source_message_ids=[message.id],
            )
            self.ack(kind="turn", text=text)
        result = self.runtime.jobs().run("daily")  # daily: a backup, consolidation, reflection
        if result.error:
            raise RuntimeError(result.error)
        self.ack(kind="job", counts=result.counts)

    def _import(self) -> None:
        archives = sorted(self.archives.glob("*.membank"))
        archive = self.rng.choice(archives)
        self.runtime.archive.import_archive(archive, mode="merge")
        self.ack(kind="import", archive=str(archive))
        note = self.text("note")
        self.runtime.curation.remember(note)
        self.ack(kind="note", text=note)

    def _forget(self) -> None:
        made = []
        for _ in range(3):
            note = self.text("note")
            made.append(self.runtime.curation.remember(note))
            self.ack(kind="note", text=note)
        victim = self.rng.choice(made)
        self.ack(kind="forgetting", text=victim.text)  # in flight: may or may not be done
        self.runtime.privacy.forget([victim.id])
        self.ack(kind="forgot", text=victim.text)


class _InstantReply:
    context_size = 2048

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream_chat(self, *_: Any, **__: Any) -> Any:
        yield from ("Noted", ", thank", " you.")

    def close(self) -> None:
        pass


class _NoLLM:
    context_size = 2048

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream_chat(self, *_: Any, **__: Any) -> Any:
        raise RuntimeError("this phase does not chat")

    def close(self) -> None:
        pass


def prepare_archives(folder: Path, embedder: Embedder, count: int = 4) -> None:
    """Archives for the import phase, each from its own source store."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        source = folder / f"source-{i}"
        setup_data_dir(source)
        runtime = open_runtime(str(source))
        bank = open_bank(runtime, embedder)
        runtime.host.attach(bank, _NoLLM())  # type: ignore[arg-type]
        for j in range(30):
            runtime.curation.remember(f"archived note {i}-{j}: " + " ".join(WORDS[j % 7 :][:5]))
        runtime.archive.export(folder / f"archive-{i}.membank")
        runtime.close()


def verify(data: Path, acks: Path, embedder: Embedder, out: Path) -> None:
    """Restart as membank does (open_runtime marks cut-off jobs, reconcile heals vectors), then
    check the whole store and every acknowledged call."""
    from app.bench.crash_verify import check_restart

    runtime: Runtime = open_runtime(str(data))
    bank = open_bank(runtime, embedder)
    healed = bank.reconcile(quick=True)  # as start-up; the check below compares every id
    result = check_restart(runtime, bank, acks)
    result["healed"] = {"reindexed": healed.missing, "orphans_removed": healed.orphans}
    out.write_text(json.dumps(result))
    runtime.host.swap(bank=bank)  # closed with the runtime
    runtime.close()


def _child(request: dict[str, Any], embedder: Embedder) -> None:
    log = open(request["log"], "a")  # noqa: SIM115 - the child's stderr until it dies
    os.dup2(log.fileno(), 2)
    try:
        op = request["op"]
        if op == "work":
            Worker(
                request["phase"],
                Path(request["data"]),
                Path(request["acks"]),
                request["seed"],
                embedder,
            ).run()
        elif op == "verify":
            verify(Path(request["data"]), Path(request["acks"]), embedder, Path(request["out"]))
        else:
            prepare_archives(Path(request["folder"]), embedder)
    except BaseException:  # noqa: BLE001 - reported through the log and the exit status
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    sys.stderr.flush()
    os._exit(0)


def main() -> None:
    import torch

    torch.set_num_threads(1)  # no thread pool yet: forking stays safe
    embedder = load_embedder(Config())
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request, embedder)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"exited": pid, "status": code}), flush=True)


if __name__ == "__main__":
    main()

"""membank-cli: chat, ask, remember, browse memories and check the installation from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from typing import Any

from app.bootstrap import Runtime, decay_policy, load_models, open_runtime
from app.cli import archive as archive_cli
from app.cli import backup as backup_cli
from app.cli import bench_args, doctor
from app.cli import mcp as mcp_cli
from app.cli import models as models_cli
from app.jobs.daily import JOB_NAMES
from app.logs import setup_logging
from app.options import add_common_options, now_override
from app.privacy.folders import protect_process
from app.privacy.secrets import known_secrets
from app.services.events import RecallEvent, ReplyEvent, TokenEvent
from memory.clock import is_day
from memory.recall.reply_check import ReplyCheck
from memory.records import PERSONAL, Memory, Recalled
from models.errors import MembankError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="membank-cli", description="membank, the local memory assistant, from a terminal."
    )
    add_common_options(parser)
    parser.add_argument(
        "--space",
        default=PERSONAL,
        help="the memory space (default personal): new chats, notes and imports go there; "
        "recall, lists and exports see its memories and the shared ones",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser("chat", help="chat in the terminal (streams the reply)")
    chat.add_argument("--conversation", type=int, help="continue this conversation id")

    ask = sub.add_parser("ask", help="ask one question and print the answer")
    ask.add_argument("text")
    ask.add_argument("--conversation", type=int, help="ask inside this conversation id")
    ask.add_argument("--json", action="store_true", help="machine-readable output")

    remember = sub.add_parser("remember", help="store a note in memory")
    remember.add_argument("text")
    remember.add_argument("--json", action="store_true")

    memories = sub.add_parser("memories", help="list, search or show memories")
    msub = memories.add_subparsers(dest="action", required=True, metavar="ACTION")
    lst = msub.add_parser("list", help="newest memories first")
    lst.add_argument("--limit", type=int, default=50)
    lst.add_argument("--json", action="store_true")
    search = msub.add_parser("search", help="the memories recall finds for QUERY")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=10)
    search.add_argument("--json", action="store_true")
    show = msub.add_parser("show", help="one memory (id or unique id prefix)")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")

    for action, text in (
        ("pin", "pin a memory: it never fades"),
        ("unpin", "unpin a memory"),
        ("restore", "bring a faded memory back into recall"),
        ("share", "recall this memory in every space"),
        ("unshare", "recall this memory in its own space only"),
    ):
        flag = msub.add_parser(action, help=text)
        flag.add_argument("id")
        flag.add_argument("--json", action="store_true")

    consolidate = sub.add_parser(
        "consolidate", help="summarise sessions and days, extract facts, update the persona now"
    )
    consolidate.add_argument(
        "--job",
        choices=JOB_NAMES,
        default="daily",
        help="which job (default: daily = everything, reflection and decay included)",
    )
    consolidate.add_argument("--json", action="store_true")
    persona = sub.add_parser("persona", help="the global persona, summary, reflections and facts")
    persona.add_argument("--json", action="store_true")
    summaries = sub.add_parser("summaries", help="daily summaries and personas")
    summaries.add_argument("--day", help="only this day (YYYY-MM-DD)")
    summaries.add_argument("--json", action="store_true")
    jobs = sub.add_parser("jobs", help="recent background job runs")
    jobs.add_argument("--json", action="store_true")

    sub.add_parser(
        "encrypt-store",
        help="encrypt the SQLite store at rest with the passphrase in MEMBANK_DB_PASSPHRASE",
    )

    doc = sub.add_parser("doctor", help="versions, model paths, GPU offload, index consistency")
    doc.add_argument("--json", action="store_true")
    doc.add_argument("--rebuild-index", action="store_true", help="re-index every memory")
    doc.add_argument(
        "--repair", action="store_true", help="heal what the consistency check finds, and say what"
    )
    bench_args.add_parser(sub)
    archive_cli.add_parsers(sub, msub)
    models_cli.add_parser(sub)
    backup_cli.add_parser(sub)
    mcp_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    protect_process()  # owner-only files from here on (README: Privacy on this computer)
    args = build_parser().parse_args(argv)
    try:
        now = now_override(args.now)
    except ValueError as exc:
        print(f"error: --now: {exc}", file=sys.stderr)
        return 2
    if args.command == "summaries" and args.day is not None and not is_day(args.day):
        print(
            f"error: --day {args.day!r} is not a date: use YYYY-MM-DD, e.g. 2025-03-14.",
            file=sys.stderr,
        )
        return 2
    if args.command == "encrypt-store":
        return _encrypt_store(args.data_dir)
    if args.command == "doctor":
        return doctor.run(
            args.data_dir, now, as_json=args.json, rebuild=args.rebuild_index, repair=args.repair
        )
    if mcp_cli.handles(args):
        return mcp_cli.run(args)
    if args.command == "bench":
        try:
            from app.bench.runner import run as run_bench
        except ImportError:  # the app bundle leaves the benchmarks out (packaging/README.md)
            print(
                "error: this build has no benchmarks: run `membank-cli bench` from a source "
                "checkout (make setup).",
                file=sys.stderr,
            )
            return 2

        return run_bench(args, list(sys.argv[1:] if argv is None else argv))
    try:
        runtime = open_runtime(args.data_dir, now)
    except MembankError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    setup_logging(runtime.paths.log_dir, secrets=known_secrets(runtime.config))
    _tell(runtime)
    try:
        return _dispatch(args, runtime)
    except MembankError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        runtime.close()


def _tell(runtime: Runtime) -> None:
    """Print what start-up healed (once: the list is emptied)."""
    for notice in runtime.notices:
        print(f"note: {notice}", file=sys.stderr)
    runtime.notices.clear()


def _dispatch(args: argparse.Namespace, runtime: Runtime) -> int:
    if archive_cli.handles(args):
        return archive_cli.run(args, runtime)
    if models_cli.handles(args):
        return models_cli.run(args, runtime)
    if args.command == "backup":
        return backup_cli.run(args, runtime)
    if args.command == "memories" and args.action != "search":
        return _memories(args, runtime)  # no models needed
    if args.command in ("persona", "summaries", "jobs"):
        return _overview(args, runtime)
    load_models(runtime)
    _tell(runtime)
    if args.command == "consolidate":
        result = runtime.jobs().run(args.job)
        data = {
            "job": result.job,
            "counts": result.counts,
            "failures": list(result.failures),
            "error": result.error,
        }
        if args.json:
            _print_json(data)
        else:
            print(
                f"{result.job}: "
                + (", ".join(f"{k} {v}" for k, v in result.counts.items()) or "nothing to do")
            )
            for failure in result.failures:
                print(f"  skipped: {failure}")
            if result.error:
                print(f"error: {result.error}", file=sys.stderr)
        return 1 if result.error else 0
    if args.command == "remember":
        memory = runtime.curation.remember(args.text, args.space)
        if args.json:
            _print_json(memory_json(memory, runtime.curation.retention(memory)))
        else:
            print(f"Remembered ({memory.id[:8]}): {memory.text}")
        return 0
    if args.command == "ask":
        reply = runtime.chat.ask(args.text, args.conversation, args.space)
        if args.json:
            _print_json(
                {
                    "conversation_id": reply.message.conversation_id,
                    "message_id": reply.message.id,
                    "reply": reply.message.text,
                    "used_memories": [recalled_json(r) for r in reply.used],
                    "memory_check": check_json(reply.check),
                }
            )
        else:
            print(reply.message.text)
            if reply.check is not None and reply.check.flagged:
                print(f"  {reply.check.card()}")
            _print_used(reply.used)
        return 0
    if args.command == "memories":
        results = runtime.curation.search(args.query, args.k, args.space)
        if args.json:
            _print_json([recalled_json(r) for r in results])
        else:
            for r in results:
                print(f"{r.memory.id[:8]}  {r.score:.4f}  {r.memory.kind:<8} {_one_line(r.memory)}")
        return 0
    if args.command == "chat":
        return _chat(runtime, args.conversation, args.space)
    raise AssertionError(args.command)


def _encrypt_store(data_dir: str | None) -> int:
    from app.config import resolve_paths
    from app.instance import InstanceLock
    from memory.storage.encryption import PASSPHRASE_ENV, encrypt_store, passphrase_from_env

    passphrase = passphrase_from_env()
    if not passphrase:
        print(f"error: put the new passphrase in {PASSPHRASE_ENV} first", file=sys.stderr)
        return 2
    paths = resolve_paths(data_dir)
    if not paths.database.exists():
        print("Nothing to convert: a new store is created encrypted when the variable is set.")
        return 0
    try:
        with InstanceLock(paths.lock_file):
            encrypt_store(paths.database, passphrase)
    except MembankError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Encrypted {paths.database}. Keep {PASSPHRASE_ENV} set to open it.")
    return 0


def _memories(args: argparse.Namespace, runtime: Runtime) -> int:
    curation = runtime.curation
    decay = decay_policy(runtime.config)
    now = runtime.clock.now()
    if args.action == "list":
        items = curation.memories(limit=args.limit, space=args.space)
        if args.json:
            _print_json([memory_json(m, decay.retention(m, now)) for m in items])
        else:
            for m in items:
                print(
                    f"{m.id[:8]}  {m.event_time:%Y-%m-%d %H:%M}  {m.kind:<15} {m.state:<10} "
                    f"S={m.strength:<4.1f} R={decay.retention(m, now):.2f}  {_one_line(m, 70)}"
                )
        return 0
    if args.action in ("share", "unshare"):
        memory = curation.memory(args.id)
        memory = curation.set_space(memory.id, memory.space, args.action == "share")
        if args.json:
            _print_json(memory_json(memory, decay.retention(memory, now)))
        else:
            print(f"{memory.id[:8]}  {memory.space}{'  shared' if memory.shared else ''}")
        return 0
    if args.action in ("pin", "unpin", "restore"):
        memory = (
            curation.restore(args.id)
            if args.action == "restore"
            else curation.set_pinned(args.id, args.action == "pin")
        )
        if args.json:
            _print_json(memory_json(memory, decay.retention(memory, runtime.clock.now())))
        else:
            print(f"{memory.id[:8]}  {memory.state}{'  pinned' if memory.pinned else ''}")
        return 0
    memory = curation.memory(args.id)
    data = memory_json(memory, decay.retention(memory, now))
    data["used_by_messages"] = curation.used_by(memory.id)
    data["links"] = [
        {"memory_id": link.memory_id, "source_id": link.source_id, "relation": link.relation}
        for link in curation.links(memory.id)
    ]
    if args.json:
        _print_json(data)
    else:
        for key, value in data.items():
            print(f"{key:>18}: {value}")
    return 0


def _overview(args: argparse.Namespace, runtime: Runtime) -> int:
    curation = runtime.curation
    decay = decay_policy(runtime.config)
    now = runtime.clock.now()

    def mj(m: Memory | None) -> dict[str, Any] | None:
        return None if m is None else memory_json(m, decay.retention(m, now))

    if args.command == "persona":
        o = curation.overview(args.space)
        data: Any = {
            "persona": mj(o.persona),
            "summary": mj(o.summary),
            "reflections": [mj(m) for m in o.reflections],
            "facts": [mj(m) for m in o.facts],
        }
        if not args.json:
            print(f"Persona: {o.persona.text if o.persona else '(none yet)'}")
            print(f"Summary: {o.summary.text if o.summary else '(none yet)'}")
            for title, items in (("Reflections", o.reflections), ("Facts", o.facts)):
                print(f"{title}:")
                for m in items:
                    print(f"  - {m.text}  [{m.event_time:%Y-%m-%d}]")
    elif args.command == "summaries":
        data = [
            {"day": d.day, "summary": mj(d.summary), "persona": mj(d.persona)}
            for d in curation.days(args.day, args.space)
        ]
        if not args.json:
            for d in curation.days(args.day, args.space):
                print(f"{d.day}: {d.summary.text if d.summary else '(no summary)'}")
                if d.persona:
                    print(f"            persona: {d.persona.text}")
    else:
        from memory.consolidation.hierarchy import HierarchyStore

        runs = HierarchyStore(runtime.store).job_runs()
        data = [
            {
                "id": r.id,
                "job": r.job,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "status": r.status,
                "counts": r.counts,
                "error": r.error,
            }
            for r in runs
        ]
        if not args.json:
            for r in runs:
                print(f"{r.started_at:%Y-%m-%d %H:%M}  {r.job:<12} {r.status:<8} {r.counts}")
    if args.json:
        _print_json(data)
    return 0


def _chat(runtime: Runtime, conversation_id: int | None, space: str = PERSONAL) -> int:
    chat = runtime.chat
    if conversation_id is None:
        conversation_id = chat.new_conversation(space=space).id
    print("membank chat — type a message, an empty line or Ctrl-D to quit, Ctrl-C stops a reply.")
    while True:
        try:
            text = input("you> ")
        except EOFError:
            print()
            return 0
        if not text.strip():
            return 0
        cancel = threading.Event()
        print("membank> ", end="", flush=True)
        try:
            for event in chat.send(conversation_id, text, cancel=cancel):
                if isinstance(event, TokenEvent):
                    print(event.text, end="", flush=True)
                elif isinstance(event, ReplyEvent):
                    print()
                    _print_used(event.used)
                elif isinstance(event, RecallEvent):
                    pass
        except KeyboardInterrupt:
            cancel.set()
            print(" [stopped]")


def memory_json(memory: Memory, retention: float) -> dict[str, Any]:
    return {
        "id": memory.id,
        "kind": str(memory.kind),
        "text": memory.text,
        "created_at": memory.created_at.isoformat(),
        "event_time": memory.event_time.isoformat(),
        "strength": memory.strength,
        "retention": round(retention, 4),
        "last_recalled_at": memory.last_recalled_at.isoformat()
        if memory.last_recalled_at
        else None,
        "recall_count": memory.recall_count,
        "pinned": memory.pinned,
        "state": str(memory.state),
        "conversation_id": memory.conversation_id,
        "source_message_ids": list(memory.source_message_ids),
        "space": memory.space,
        "shared": memory.shared,
    }


def recalled_json(item: Recalled) -> dict[str, Any]:
    data = memory_json(item.memory, item.retention)
    data["score"] = round(item.score, 6)
    data["similarity"] = None if item.similarity is None else round(item.similarity, 4)
    return data


def check_json(check: ReplyCheck | None) -> dict[str, Any] | None:
    """The reply check: `flagged` when the reply refused or ignored a used memory that answers
    the question, said what no memory says, invented a specific (`claims`: names, numbers,
    dates, relations) or was contradicted by a memory (`verdict`); `memory_id` is the memory the
    card shows (`memory_answers`: it answers the question, else it is only the closest)."""
    if check is None:
        return None
    return {
        "flagged": check.flagged,
        "verdict": check.verdict,
        "memory_id": check.memory.id if check.memory else None,
        "memory_answers": check.memory is not None and check.answers,
        "card": check.card() or None,
        "claims": [{"kind": c.kind, "text": c.text} for c in check.claims],
        "reply_support": round(check.support, 3),
    }


def _print_used(used: Sequence[Recalled]) -> None:
    if used:
        print("  memories used:")
        for r in used:
            print(f"   · {r.memory.event_time:%Y-%m-%d}  {_one_line(r.memory)}")


def _one_line(memory: Memory, width: int = 90) -> str:
    text = " ".join(memory.text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    print()


if __name__ == "__main__":
    sys.exit(main())

"""Plain text in and out: "what membank knows about me" as Markdown, and memories pasted as text.

The Markdown export holds the persona, the overall summary, then facts and notes, one per line
with the date each is about, oldest first (then alphabetically): readable, and diff-able between
two exports. Then a section per person (memory.graph): their names, the facts and notes about
them, and how many conversation turns name them; quoted, so importing the file skips it.

The text import takes one memory per line (ChatGPT's saved memories, another assistant's
export, or membank's own Markdown). List markers and a leading `YYYY-MM-DD:` date are read;
headings, quoted lines (`>`), HTML comments and blank lines are skipped; lines under a "Notes"
heading become notes, every other line a fact. The whole file is validated first and written in
one transaction; a line whose text membank already holds as a fact or note (or that appears twice
in the file) is skipped, so importing the same file again adds nothing.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from memory.bank import MemoryBank
from memory.clock import from_db
from memory.consolidation.hierarchy import HierarchyStore, in_space
from memory.errors import ArchiveError
from memory.graph.extract import PERSON
from memory.graph.store import MemoryGraph
from memory.records import PERSONAL, Kind
from memory.storage.store import SQLiteStore

MAX_LINE = 2000
MAX_LINES = 100_000
_MARKER = re.compile(r"^(?:[-*+•]|\d{1,4}[.)])\s+")
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?::|—|–|-)\s+")
_COMMENT = re.compile(r"^<!--.*-->$")


@dataclass(frozen=True)
class TextMemory:
    kind: Kind  # FACT or NOTE
    text: str
    when: datetime | None  # the date given on the line, at noon UTC


@dataclass(frozen=True)
class TextImportReport:
    facts: int
    notes: int
    skipped: int  # already known, or repeated in the file


def one_line(text: str) -> str:
    return " ".join(text.split())


def same_text_key(text: str) -> str:
    """Two texts that differ only in case, spacing or a final full stop are the same memory."""
    return one_line(text).casefold().rstrip(".!").strip()


def render_markdown(store: SQLiteStore, now: datetime, space: str = PERSONAL) -> str:
    """`space`: its persona and summary, its facts and notes and the shared ones."""
    hierarchy = HierarchyStore(store)
    persona = hierarchy.by_key(in_space("global_persona", space))
    summary = hierarchy.by_key(in_space("global_summary", space))
    rows = store.rows(
        "SELECT kind, text, event_time FROM memories WHERE kind IN ('fact', 'note') "
        "AND state != 'superseded' AND (space = ? OR shared = 1) ORDER BY event_time, id",
        [space],
    )
    # By day, then by text (not by id or time of day): the same knowledge always prints the same
    # lines in the same order, whichever store it was imported into.
    rows.sort(key=lambda r: (_day(from_db(r["event_time"])), one_line(r["text"])))
    facts = [r for r in rows if r["kind"] == "fact"]
    notes = [r for r in rows if r["kind"] == "note"]
    out = [
        "# What membank knows about me" + ("" if space == PERSONAL else f" ({space})"),
        "",
        f"<!-- membank export of {now.astimezone(UTC).date().isoformat()}: {len(facts)} facts, "
        f"{len(notes)} notes. Import them back: membank-cli import FILE --format text -->",
    ]
    for title, memory in (("Persona", persona), ("Summary", summary)):
        out += ["", f"## {title}" + (f" (updated {_day(memory.created_at)})" if memory else "")]
        out += [""] + (
            [f"> {line}" if line.strip() else ">" for line in memory.text.strip().splitlines()]
            if memory
            else ["> (none yet: membank writes it after a few days of conversations)"]
        )
    for title, items in (("Facts", facts), ("Notes", notes)):
        out += ["", f"## {title}", ""]
        out += [f"- {_day(from_db(r['event_time']))}: {one_line(r['text'])}" for r in items] or [
            "> (none)"
        ]
    return "\n".join(out + people_sections(store, space)) + "\n"


def people_sections(store: SQLiteStore, space: str = PERSONAL) -> list[str]:
    """ "## People", then a section per person the memories of `space` name: their other names,
    the facts and notes about them (dated, oldest first), and how many conversation turns name
    them. Every line is quoted (`>`), so a text import of the file leaves them out."""
    graph = MemoryGraph(store)
    out = ["", "## People", ""]
    people = sorted(
        (e for e in graph.entities(PERSON) if e.memories), key=lambda e: (e.name.casefold(), e.id)
    )
    shown = 0
    for person in people:
        memories = [
            m for m in graph.timeline(person.id, limit=10_000) if m.space == space or m.shared
        ]
        if not memories:
            continue
        known = sorted(
            (m for m in memories if m.kind in (Kind.FACT, Kind.NOTE)),
            key=lambda m: (_day(m.event_time), one_line(m.text)),
        )
        turns = [m for m in memories if m.kind is Kind.TURN]
        out += [f"### {person.name} ({person.kind})", ""]
        others = [a for a in person.aliases if a != person.name.casefold()]
        if others:
            out.append(f"> also: {', '.join(others)}")
        out += [f"> - {_day(m.event_time)}: {one_line(m.text)}" for m in known]
        if turns:
            out.append(
                f"> named in {len(turns)} conversation turns, {_day(turns[0].event_time)} to "
                f"{_day(turns[-1].event_time)}"
            )
        out.append("")
        shown += 1
    if not shown:
        out.append("> (none yet)")
    return out


def _day(at: datetime) -> str:
    return at.astimezone(UTC).date().isoformat()


def write_markdown(store: SQLiteStore, path: Path, now: datetime, space: str = PERSONAL) -> int:
    """Write the export atomically (temp file, then rename); returns its size in bytes."""
    MemoryGraph(store).link_pending()  # memories stored without the bank join the graph first
    data = render_markdown(store, now, space).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ArchiveError(f"{path} could not be written ({exc.strerror or exc}).") from exc
    return len(data)


def read_text_memories(path: Path) -> list[TextMemory]:
    """Validate the whole file; ArchiveError (saying which line) if anything is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArchiveError(f"{path} cannot be read ({exc.strerror or exc}).") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"{path} is not UTF-8 text; nothing was imported.") from exc
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise ArchiveError(f"{path} has {len(lines)} lines; at most {MAX_LINES} are imported.")
    found: list[TextMemory] = []
    kind = Kind.FACT
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if "\x00" in line:
            raise ArchiveError(f"{path}, line {number}: binary data; nothing was imported.")
        if line.startswith("#"):
            kind = Kind.NOTE if line.lstrip("#").strip().casefold() == "notes" else Kind.FACT
            continue
        if not line or line.startswith(">") or _COMMENT.match(line):
            continue
        if len(line) > MAX_LINE:
            raise ArchiveError(
                f"{path}, line {number}: {len(line)} characters (at most {MAX_LINE} per memory); "
                "nothing was imported. Split it into shorter lines."
            )
        line = _MARKER.sub("", line, count=1)
        when = None
        if dated := _DATED.match(line):
            try:
                day = datetime.strptime(dated.group(1), "%Y-%m-%d")
            except ValueError as exc:
                raise ArchiveError(f"{path}, line {number}: {exc}; nothing was imported.") from exc
            when = day.replace(hour=12, tzinfo=UTC)
            line = line[dated.end() :]
        if line := one_line(line):
            found.append(TextMemory(kind, line, when))
    if not found:
        raise ArchiveError(f"{path} holds no memory lines (one fact per line); nothing to import.")
    return found


def write_text_memories(
    bank: MemoryBank, items: list[TextMemory], now: datetime, space: str = PERSONAL
) -> TextImportReport:
    """New facts and notes of `space` in one transaction, then indexed; texts the space already
    knows (its own or shared) are skipped."""
    store = bank.store
    known = {
        same_text_key(r["text"])
        for r in store.rows(
            "SELECT text FROM memories WHERE kind IN ('fact', 'note') "
            "AND (space = ? OR shared = 1)",
            [space],
        )
    }
    added = {Kind.FACT: 0, Kind.NOTE: 0}
    skipped = 0
    try:
        with store.transaction(atomic=True):
            for item in items:
                key = same_text_key(item.text)
                if key in known:
                    skipped += 1
                    continue
                known.add(key)
                store.add_memory(
                    item.kind,
                    item.text,
                    now,
                    event_time=item.when,
                    strength=bank.decay.initial(item.kind, item.text),
                    space=space,
                )
                added[item.kind] += 1
    except sqlite3.Error as exc:
        raise ArchiveError(
            f"The import could not be written ({exc}); the store is unchanged."
        ) from exc
    bank.reconcile()
    return TextImportReport(added[Kind.FACT], added[Kind.NOTE], skipped)

"""Read a file in LoCoMo's shape (Maharana et al., 2024): conversations, sessions, questions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.transfer.conversations import ImportedTurn
from models.errors import MembankError

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
_SESSION = re.compile(r"^session_(\d+)$")


class BenchDataError(MembankError):
    title = "Benchmark file could not be read"


@dataclass(frozen=True)
class Question:
    text: str
    evidence: tuple[str, ...]  # dia_ids of the turns that hold the answer
    category: int
    answer: str = ""  # the gold answer (category 5 has none: "")


@dataclass(frozen=True)
class BenchConversation:
    name: str
    turns: list[tuple[str, ImportedTurn]]  # (dia_id, turn), in order
    questions: list[Question]

    @property
    def asked_at(self) -> datetime:
        """Questions are asked the day after the last session."""
        return max(t.when for _, t in self.turns) + timedelta(days=1)


SHAPE = (
    'expected LoCoMo\'s shape: [{"sample_id": "...", "conversation": {"session_1_date_time": '
    '"1:56 pm on 8 May, 2023", "session_1": [{"speaker": "...", "dia_id": "D1:1", "text": '
    '"..."}, ...]}, "qa": [...]}, ...]'
)
DATE_EXAMPLES = "'1:56 pm on 8 May, 2023', '2023-09-25 10:03' or '25.09.2023, 10:03:04'"


def parse_session_time(text: str) -> datetime:
    """A session's date: LoCoMo's "1:56 pm on 8 May, 2023", ISO 8601, or a common written form
    ("25.09.2023, 10:03:04", day first) through dateparser; naive times are read as UTC."""
    cleaned = " ".join(text.replace(",", ", ").split()).replace(" ,", ",")
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y"):
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        found: datetime | None = datetime.fromisoformat(text.strip())
    except ValueError:
        import dateparser  # only for the less common forms (it loads in about half a second)

        found = dateparser.parse(
            text,
            languages=["en"],
            settings={"DATE_ORDER": "DMY", "STRICT_PARSING": True, "TIMEZONE": "UTC"},
        )
    if found is None:
        raise BenchDataError(f"Unrecognised session date {text!r}: use e.g. {DATE_EXAMPLES}.")
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def load_locomo(path: Path) -> list[BenchConversation]:
    """Every conversation, read and checked; BenchDataError (one line naming the file, the item
    and the expected shape) at the first one that is not in LoCoMo's shape."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchDataError(f"{path} cannot be read as JSON ({exc}).") from exc
    if not isinstance(data, list) or not data:
        raise BenchDataError(f"{path}: not a list of conversations; {SHAPE}.")
    return [_conversation(path, item, i) for i, item in enumerate(data)]


def _conversation(path: Path, item: Any, position: int) -> BenchConversation:
    where = f"{path}: conversation {position + 1}"

    def refuse(what: str) -> BenchDataError:
        return BenchDataError(f"{where}: {what}; {SHAPE}.")

    if not isinstance(item, dict):
        raise refuse(f"is a {type(item).__name__}, not an object")
    if isinstance(item.get("sample_id"), str | int):
        where += f" ({item['sample_id']})"
    conv = item.get("conversation")
    if not isinstance(conv, dict):
        raise refuse(f'"conversation" is {_kind(conv)}, not an object')
    numbers = sorted(int(m.group(1)) for key in conv if (m := _SESSION.match(key)))
    if not numbers:
        raise refuse('"conversation" has no "session_1"')
    turns: list[tuple[str, ImportedTurn]] = []
    for n in numbers:
        session, stamp = conv[f"session_{n}"], conv.get(f"session_{n}_date_time")
        if not isinstance(session, list):
            raise refuse(f'"session_{n}" is {_kind(session)}, not a list of turns')
        if not isinstance(stamp, str):
            raise refuse(f'"session_{n}_date_time" is {_kind(stamp)}, not a date')
        try:
            start = parse_session_time(stamp)
        except BenchDataError as exc:
            raise BenchDataError(f'{where}, "session_{n}_date_time": {exc}') from None
        for i, turn in enumerate(session):
            if not isinstance(turn, dict):
                raise refuse(f'turn {i + 1} of "session_{n}" is {_kind(turn)}, not an object')
            missing = [k for k in ("speaker", "dia_id", "text") if not isinstance(turn.get(k), str)]
            if missing:
                raise refuse(f'turn {i + 1} of "session_{n}" has no text "{missing[0]}"')
            text = turn["text"]
            if turn.get("blip_caption"):  # shared images reach memory as their caption
                text = f"{text} [shares a photo: {turn['blip_caption']}]"
            # Turns keep their order: thirty seconds apart within the session.
            when = start + timedelta(seconds=30 * i)
            turns.append((turn["dia_id"], ImportedTurn(turn["speaker"], text, when)))
    if not turns:
        raise refuse("every session is empty")
    qa = item.get("qa", [])
    if not isinstance(qa, list) or not all(
        isinstance(q, dict) and "question" in q and "category" in q for q in qa
    ):
        raise refuse('"qa" is not a list of {"question", "category", ...} objects')
    try:
        questions = [
            Question(
                str(q["question"]),
                tuple(str(e) for e in q.get("evidence", [])),
                int(q["category"]),
                "" if q.get("answer") is None else str(q["answer"]),
            )
            for q in qa
        ]
    except (TypeError, ValueError) as exc:
        raise refuse(f'a question in "qa" is malformed ({exc})') from None
    name = str(item.get("sample_id", f"conversation {position + 1}"))
    return BenchConversation(name, turns, questions)


def _kind(value: Any) -> str:
    return "missing" if value is None else f"a {type(value).__name__}"

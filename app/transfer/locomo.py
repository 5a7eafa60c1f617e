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


def parse_session_time(text: str) -> datetime:
    """LoCoMo's "1:56 pm on 8 May, 2023" (read as UTC)."""
    cleaned = " ".join(text.replace(",", ", ").split()).replace(" ,", ",")
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y"):
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise BenchDataError(f"Unrecognised session date {text!r}.")


def load_locomo(path: Path) -> list[BenchConversation]:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchDataError(f"{path} cannot be read as JSON ({exc}).") from exc
    if not isinstance(data, list):
        raise BenchDataError(f"{path} is not a list of conversations in LoCoMo's shape.")
    return [_conversation(item, i) for i, item in enumerate(data)]


def _conversation(item: dict[str, Any], position: int) -> BenchConversation:
    conv = item["conversation"]
    numbers = sorted(int(m.group(1)) for key in conv if (m := _SESSION.match(key)))
    turns: list[tuple[str, ImportedTurn]] = []
    for n in numbers:
        start = parse_session_time(conv[f"session_{n}_date_time"])
        for i, turn in enumerate(conv[f"session_{n}"]):
            text = str(turn.get("text", ""))
            if turn.get("blip_caption"):  # shared images reach memory as their caption
                text = f"{text} [shares a photo: {turn['blip_caption']}]"
            # Turns keep their order: thirty seconds apart within the session.
            when = start + timedelta(seconds=30 * i)
            turns.append((str(turn["dia_id"]), ImportedTurn(str(turn["speaker"]), text, when)))
    questions = [
        Question(
            str(q["question"]),
            tuple(str(e) for e in q.get("evidence", [])),
            int(q["category"]),
            "" if q.get("answer") is None else str(q["answer"]),
        )
        for q in item.get("qa", [])
    ]
    name = str(item.get("sample_id", f"conversation {position + 1}"))
    return BenchConversation(name, turns, questions)

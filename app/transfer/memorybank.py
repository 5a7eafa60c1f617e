"""MemoryBank's daily chats as a benchmark file, with questions and gold answers.

MemoryBank (zhongwanjun/MemoryBank-SiliconFriend, `memory_bank_en.json`) has ten days of chat
per user and no questions. These probes ask, the day after the last chat, what the user said on
an earlier day, in the user's own words ("Which park did I go for a walk in?"), with the answer
and the turn that holds it ("2023-04-28:1": that day's second message). Only the user's messages
are imported, as chat stores them (the companion's replies never become memories).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.transfer.conversations import ImportedTurn
from app.transfer.locomo import BenchConversation, BenchDataError, Question

SINGLE_HOP, TEMPORAL = 4, 2
# (user, question, gold answer, evidence, category)
PROBES: tuple[tuple[str, str, str, str, int], ...] = (
    ("Emily", "Which park did I go for a walk in?", "Green Meadow Park", "2023-04-28:1", 4),
    (
        "Emily",
        "What novel did I find at the library?",
        "One Hundred Years of Solitude",
        "2023-05-01:0",
        4,
    ),
    ("Emily", "What new dish did I learn to make?", "steamed sea bass", "2023-04-29:0", 4),
    ("Emily", "Which art film did I see with my friend?", "Taxi Driver", "2023-04-30:1", 4),
    ("Emily", "When did I go to the museum with my friend?", "2 May 2023", "2023-05-02:0", 2),
    ("Frank", "How long did I run in the park on our first day?", "an hour", "2023-04-27:2", 4),
    (
        "Frank",
        "What dish did I make while learning to cook?",
        "Kung Pao Chicken",
        "2023-04-28:6",
        4,
    ),
    ("Frank", "What book have I been reading at home?", "To Live", "2023-05-06:1", 4),
    ("Frank", "What kind of music do I love listening to?", "jazz", "2023-05-05:2", 4),
    ("Lucy", "Which city did I travel to recently?", "Xiamen", "2023-04-27:2", 4),
    ("Lucy", "What is my favorite attraction in Xiamen?", "Gulangyu Island", "2023-04-27:3", 4),
    ("Lucy", "Whose concert did I go to?", "Jay Chou", "2023-04-29:1", 4),
    ("Lucy", "What kinds of films do I like?", "comedies and romance films", "2023-04-28:1", 4),
    ("Sunny", "Which mountain did I go to last weekend?", "Yuntai Mountain", "2023-04-27:3", 4),
    ("Sunny", "What kinds of movies do I like?", "action and comedy", "2023-05-03:1", 4),
)
CHAT_HOUR = 20  # each day's chat starts at 20:00 UTC, a message every thirty seconds


def is_memorybank(data: Any) -> bool:
    return isinstance(data, dict) and all(
        isinstance(v, dict) and "history" in v for v in data.values()
    )


def load_memorybank(path: Path) -> list[BenchConversation]:
    """The probed users' chats as benchmark conversations (their messages only)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchDataError(f"{path} cannot be read as JSON ({exc}).") from exc
    if not is_memorybank(data):
        raise BenchDataError(f"{path} is not in MemoryBank's shape (user -> history by date).")
    users = {str(k).strip(): v for k, v in data.items()}
    conversations = []
    for name in dict.fromkeys(p[0] for p in PROBES):
        if name not in users:
            continue
        turns: list[tuple[str, ImportedTurn]] = []
        for day, items in sorted(users[name]["history"].items()):
            start = datetime.fromisoformat(day).replace(hour=CHAT_HOUR, tzinfo=UTC)
            for i, item in enumerate(items):
                text = " ".join(str(item.get("query", "")).split())
                if text:
                    when = start + timedelta(seconds=30 * i)
                    turns.append((f"{day}:{i}", ImportedTurn("", text, when)))
        questions = [
            Question(q, (evidence,), category, answer)
            for user, q, answer, evidence, category in PROBES
            if user == name
        ]
        conversations.append(BenchConversation(name, turns, questions))
    return conversations

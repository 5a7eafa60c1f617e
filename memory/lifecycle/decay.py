"""The Ebbinghaus forgetting curve: retention R = exp(-t / S)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from memory.records import Kind, Memory

# Always-current overviews: they are rewritten, never forgotten.
NEVER_FADE = frozenset({Kind.GLOBAL_SUMMARY, Kind.GLOBAL_PERSONA})
# Cheap significance cues in a user's turn: facts about themselves, plans, feelings, numbers.
_SIGNIFICANT = re.compile(
    r"\b(i am|i'm|my|i live|i work|i have|i've|i moved|remember|important|never|always|"
    r"allergic|birthday|married|born|love|hate|afraid|tomorrow|next week)\b|\d",
    re.IGNORECASE,
)

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class DecayPolicy:
    """t is days since the memory was last recalled (or recorded); S is its strength.

    S starts at `initial_strength`; each recall adds `recall_boost` and resets t. A memory whose
    retention falls below `fade_threshold` fades out of recall (pinned memories never do).
    Note the formula: exp(-t/S), so a stronger memory fades *slower*.
    """

    initial_strength: float = 1.0
    recall_boost: float = 1.0
    fade_threshold: float = 0.05
    # How much retention weighs in ranking: score *= (1 - w) + w * R.
    ranking_weight: float = 0.3

    def initial(self, kind: Kind, text: str) -> float:
        """S of a new memory: explicit notes and significant turns start stronger."""
        if kind is Kind.NOTE:
            return 3.0 * self.initial_strength
        if kind is Kind.TURN and len(text.split()) >= 4 and _SIGNIFICANT.search(text):
            return 2.0 * self.initial_strength
        return self.initial_strength

    def retention(self, memory: Memory, now: datetime) -> float:
        if memory.pinned or memory.kind in NEVER_FADE:
            return 1.0
        since = memory.last_recalled_at or memory.created_at
        days = max(0.0, (now - since).total_seconds() / SECONDS_PER_DAY)
        return math.exp(-days / max(memory.strength, 1e-6))

    def curve(
        self,
        memory: Memory,
        recalls: Sequence[tuple[datetime, float]],
        now: datetime,
        samples: int = 24,
    ) -> list[tuple[datetime, float]]:
        """The forgetting curve from creation, through `now`, projected 3·S days ahead: retention
        sampled along each stretch between recalls (a recall resets t and sets S to its strength
        after the recall)."""
        if memory.pinned or memory.kind in NEVER_FADE:
            return [(memory.created_at, 1.0), (now, 1.0)]
        first = recalls[0][1] - self.recall_boost if recalls else memory.strength
        starts = [(memory.created_at, max(first, 1e-6))]
        starts += [(at, max(s, 1e-6)) for at, s in recalls]
        points: list[tuple[datetime, float]] = []
        for i, (start, strength) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else now + timedelta(days=3 * strength)
            span = max(0.0, (end - start).total_seconds())
            for j in range(samples + 1):
                t = span * j / samples
                points.append(
                    (start + timedelta(seconds=t), math.exp(-t / SECONDS_PER_DAY / strength))
                )
        return points

    def ranking_factor(self, retention: float) -> float:
        return (1.0 - self.ranking_weight) + self.ranking_weight * retention

    def is_faded(self, memory: Memory, now: datetime) -> bool:
        return self.retention(memory, now) < self.fade_threshold

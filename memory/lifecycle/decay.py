"""The forgetting curve users see: retention R = exp(-t / S), t and S in days.

S (stability, stored as `strength`) is the number of days for retention to fall to 1/e (37%); a
memory fades out of ordinary recall when R drops below `fade_threshold` (0.05), i.e. about 3·S
days after it was last recalled. S starts from how salient the memory is (what the user asked to
keep and what is about them lasts; small talk fades) and grows on each recall the way FSRS grows
stability on a successful review: much when the memory was nearly forgotten (the spacing effect),
nothing when it is recalled twice in a minute, and proportionally less for memories already stable.
README "Memory that lasts" explains the units and the defaults; docs/benchmarks.md measures them.
"""

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
    r"allergic|birthday|married|born|love|hate|afraid|tomorrow|next week|"
    # life changes said as "we", or without "I am" (the profile's slots read them too)
    r"we moved|we live|we renamed|renamed|new job|dating|engaged|vegan|vegetarian)\b|\d",
    re.IGNORECASE,
)

SECONDS_PER_DAY = 86_400.0

# Initial stability in days, by kind (before `initial_strength` scales them all). Chosen by the
# sweep in docs/benchmarks.md ("The forgetting curve: parameter sweep"); the reasons are in README.
SALIENCE: dict[Kind, float] = {
    Kind.NOTE: 365.0,  # "remember this": kept for years
    Kind.FACT: 180.0,  # about the user, distilled
    Kind.DAILY_PERSONA: 90.0,
    Kind.REFLECTION: 60.0,
    Kind.DAILY_SUMMARY: 120.0,  # old periods stay reachable through their summaries
    Kind.SESSION_SUMMARY: 45.0,
    Kind.GLOBAL_SUMMARY: 365.0,
    Kind.GLOBAL_PERSONA: 365.0,
}
TURN_ABOUT_USER = 5.0  # a turn with significance cues ("I live in", "my", a date, ...)
SMALL_TALK = 1.0  # any other turn: gone from ordinary recall after about three days


@dataclass(frozen=True)
class DecayPolicy:
    """t is days since the memory was last recalled (or recorded); S is its stability in days.

    `initial_strength` scales every initial S (1.0: the SALIENCE table as it is). On a recall
    at retention R, S grows by the factor 1 + recall_boost · S^-stability_decay · (e^(spacing·(1-R))
    - 1): FSRS's stability increase with its defaults for the two exponents (w9 = 0.12,
    w10 = 1.02) and a smaller gain, since a memory used in a reply is weaker evidence than a
    flash card answered right. A memory whose retention falls below `fade_threshold` fades out
    of ordinary recall (a strong cue still brings it back; pinned memories never fade).
    """

    initial_strength: float = 1.0
    recall_boost: float = 0.5
    fade_threshold: float = 0.05
    # How much retention weighs in ranking: score *= (1 - w) + w * R.
    ranking_weight: float = 0.1
    stability_decay: float = 0.12
    spacing: float = 1.02
    # A memory nothing longer-lasting holds yet (no summary or fact made from it) does not fade
    # for this many days after it was last recalled: consolidation comes first. Past it (the
    # scheduler off, the model failing for weeks) it fades by its curve all the same.
    hold_days: float = 5.0
    small_talk: float = SMALL_TALK
    about_user: float = TURN_ABOUT_USER

    def initial(self, kind: Kind, text: str) -> float:
        """S of a new memory, by salience: notes and facts last, small talk fades."""
        if kind is Kind.TURN:
            significant = len(text.split()) >= 4 and _SIGNIFICANT.search(text)
            base = self.about_user if significant else self.small_talk
        else:
            base = SALIENCE.get(kind, self.about_user)
        return base * self.initial_strength

    def retention_at(self, memory: Memory, now: datetime) -> float:
        """Retention by the curve alone (pinned and overview memories included)."""
        since = memory.last_recalled_at or memory.created_at
        days = max(0.0, (now - since).total_seconds() / SECONDS_PER_DAY)
        return math.exp(-days / max(memory.strength, 1e-6))

    def retention(self, memory: Memory, now: datetime) -> float:
        if memory.pinned or memory.kind in NEVER_FADE:
            return 1.0
        return self.retention_at(memory, now)

    def after_recall(self, strength: float, retention: float) -> float:
        """S after a successful recall at retention R (FSRS's stability increase, exp curve)."""
        s = max(strength, 1e-6)
        r = min(1.0, max(0.0, retention))
        damping = math.pow(s, -self.stability_decay)  # stable memories gain proportionally less
        gain = self.recall_boost * damping * math.expm1(self.spacing * (1 - r))
        return s * (1.0 + gain)

    def strengthened(self, memory: Memory, now: datetime) -> float:
        return self.after_recall(memory.strength, self.retention_at(memory, now))

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
        first = _before_first_recall(self, memory, recalls) if recalls else memory.strength
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

    def fade_after_days(self, strength: float) -> float:
        """Days from the last recall until a memory of stability S fades (-S·ln threshold)."""
        return -strength * math.log(max(self.fade_threshold, 1e-9))


def _before_first_recall(
    policy: DecayPolicy, memory: Memory, recalls: Sequence[tuple[datetime, float]]
) -> float:
    """Invert the first recall's gain: the S that, recalled at that moment, gave its S after."""
    at, after = recalls[0]
    days = max(0.0, (at - memory.created_at).total_seconds() / SECONDS_PER_DAY)
    lo, hi = 1e-3, max(after, 1e-3)
    for _ in range(60):  # after_recall grows with S: bisect
        mid = (lo + hi) / 2
        if policy.after_recall(mid, math.exp(-days / mid)) < after:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2

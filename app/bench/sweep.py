"""`membank-cli bench sweep PATH`: the forgetting curve's parameters, one at a time around the
defaults, each measured realtime (app.bench.realtime) beside the stored-at-question-time figure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.bench.recall import (
    CATS_1_4,
    RecallReport,
    Tally,
    app_recall_settings,
    lived_conversation,
    load_embedder_default,
    one_conversation,
)
from app.transfer.locomo import load_locomo
from memory.lifecycle.decay import DecayPolicy
from memory.recall.retrieval import RecallSettings

# (label, DecayPolicy changes, RecallSettings changes): the defaults first, then one change each.
GRID: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("defaults", {}, {}),
    ("hold_days 7", {"hold_days": 7.0}, {}),
    ("recall_boost 1", {"recall_boost": 1.0}, {}),
    ("small talk S 2", {"small_talk": 2.0}, {}),
    ("turn about the user S 10", {"about_user": 10.0}, {}),
    ("cue_keyword_top 5", {}, {"cue_keyword_top": 5}),
    ("cue_keyword_top 20", {}, {"cue_keyword_top": 20}),
    ("no word-coverage cue", {}, {"cue_coverage": 1.1}),
    ("retention_weight 0.3", {"ranking_weight": 0.3}, {}),
    ("no cued recall", {}, {"cue_similarity": 1.1, "cue_keyword_top": 0, "cue_coverage": 1.1}),
]


@dataclass
class SweepRow:
    label: str
    r5: float
    r10: float
    ratio: float
    faded_share: float


@dataclass
class SweepReport:
    reference_r10: float
    rows: list[SweepRow]
    conversations: int
    questions: int

    def as_json(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "stored_at_question_time_R@10": round(self.reference_r10, 3),
            "rows": [
                {
                    "label": r.label,
                    "realtime_R@5": round(r.r5, 3),
                    "realtime_R@10": round(r.r10, 3),
                    "realtime_over_stored": round(r.ratio, 3),
                    "faded_share": round(r.faded_share, 3),
                }
                for r in self.rows
            ],
        }

    def markdown(self) -> str:
        lines = [
            f"LoCoMo categories 1-4, {self.conversations} conversation(s), {self.questions} "
            f"questions; stored-at-question-time R@10 {self.reference_r10:.3f} (same run). "
            "Each row is realtime (sessions on their own dates, decay sweep replayed daily); "
            "one parameter changed from the defaults at a time:",
            "",
            "| setting | realtime R@5 | realtime R@10 | realtime / stored R@10 | faded turns |",
            "|---|---|---|---|---|",
        ]
        for r in self.rows:
            lines.append(
                f"| {r.label} | {r.r5:.3f} | {r.r10:.3f} | {r.ratio:.3f} | {r.faded_share:.1%} |"
            )
        return "\n".join(lines)


def run_sweep(
    path: Path,
    *,
    limit_conversations: int | None = 1,
    only: list[str] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> SweepReport:
    conversations = load_locomo(path)[:limit_conversations]
    embedder = load_embedder_default()
    base = app_recall_settings()
    stored: dict[str, Tally] = {}
    for conv in conversations:
        one_conversation(conv, embedder, stored, [], base)
    reference = stored["full"].recall(CATS_1_4)[2]
    rows: list[SweepRow] = []
    for label, decay_changes, recall_changes in GRID:
        if only and label not in only:
            continue
        decay = replace(DecayPolicy(), **decay_changes)
        settings: RecallSettings = replace(base, **recall_changes)
        report = RecallReport({"full": stored["full"]}, [], 0, 0.0, len(conversations))
        for conv in conversations:
            lived_conversation(conv, embedder, report, decay, settings, None)
        assert report.realtime is not None
        r = report.realtime.recall(CATS_1_4)
        rows.append(SweepRow(label, r[1], r[2], r[2] / reference, report.faded_share))
        progress(f"{label}: realtime R@10 {r[2]:.3f}, faded {report.faded_share:.1%}")
    questions = sum(stored["full"].counts.get(c, 0) for c in CATS_1_4)
    return SweepReport(reference, rows, len(conversations), questions)

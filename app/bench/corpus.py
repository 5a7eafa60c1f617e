"""Text for the synthetic stores of `bench scale`: real dialogue lines (LoCoMo, MemoryBank),
read in place, so FTS5 sees real vocabulary and word frequencies; templates without them."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.transfer.locomo import BenchDataError

_PEOPLE = "Alice Bob Carla Dmitri Elena Farid Greta Hiro Ines Jonas Kofi Lena Mateo Nadia".split()
_PLACES = "Lisbon Porto Berlin Kyoto Oslo Lima Accra Hanoi Quebec Tartu Bergen Cusco".split()
_VERBS = "visited cooked painted repaired planned discussed bought sold read watched".split()
_THINGS = (
    "a bicycle|sourdough bread|the garden shed|a violin|a mystery novel|the kitchen sink|"
    "a hiking trip|a birthday party|a chess set|a pottery class|the tax return|a new laptop"
).split("|")
_WHEN = ["", " last week", " yesterday", " in March", " two years ago", " last month"]


def synthetic_text(rng: random.Random) -> str:
    return (
        f"I {rng.choice(_VERBS)} {rng.choice(_THINGS)} with {rng.choice(_PEOPLE)} in "
        f"{rng.choice(_PLACES)}{rng.choice(_WHEN)}."
    )


def synthetic_query(rng: random.Random) -> str:
    return f"What did I do with {rng.choice(_PEOPLE)} in {rng.choice(_PLACES)}{rng.choice(_WHEN)}?"


@dataclass(frozen=True)
class Corpus:
    """Lines to store and questions to ask; empty lists mean the templates above."""

    lines: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        if not self.lines:
            return "template sentences (people, places, things)"
        return (
            f"{len(self.lines):,} distinct dialogue lines sampled with replacement from "
            f"{', '.join(self.sources)}; {len(self.questions):,} questions"
        )

    def text(self, rng: random.Random) -> str:
        if not self.lines:
            return synthetic_text(rng)
        return rng.choice(self.lines)

    def query(self, rng: random.Random) -> str:
        if not self.questions:
            return synthetic_query(rng)
        return rng.choice(self.questions)


def load_corpus(paths: list[Path]) -> Corpus:
    """LoCoMo (a list of conversations) or MemoryBank (a dict of users) files, by shape."""
    lines: list[str] = []
    questions: list[str] = []
    for path in paths:
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BenchDataError(f"{path} cannot be read as JSON ({exc}).") from exc
        if isinstance(data, list):
            _locomo(data, lines, questions)
        elif isinstance(data, dict):
            _memorybank(data, lines)
        else:
            raise BenchDataError(f"{path} is neither LoCoMo's nor MemoryBank's shape.")
    unique = tuple(dict.fromkeys(line for line in lines if line.strip()))
    return Corpus(unique, tuple(dict.fromkeys(questions)), tuple(p.name for p in paths))


def _locomo(data: list[Any], lines: list[str], questions: list[str]) -> None:
    for item in data:
        conv = item.get("conversation", {})
        for key, value in conv.items():
            if key.startswith("session_") and isinstance(value, list):
                lines += [f"{t.get('speaker', '')}: {t.get('text', '')}" for t in value]
        questions += [str(q["question"]) for q in item.get("qa", []) if q.get("question")]


def _memorybank(data: dict[str, Any], lines: list[str]) -> None:
    for name, user in data.items():
        history = user.get("history", {}) if isinstance(user, dict) else {}
        for turns in history.values():
            for turn in turns:
                lines.append(f"{name}: {turn.get('query', '')}")
                lines.append(f"AI: {turn.get('response', '')}")

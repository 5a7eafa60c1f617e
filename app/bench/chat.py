"""`membank-cli bench chat`: the app's chat speed against raw llama-cpp-python, same run.

Per repetition, on one loaded model and a fresh conversation over a store of memories:
- app: `ChatService.send` (recall, prompt assembly, streaming, storing) — time from the
  call to the first token, and tokens/s after it;
- raw: `Llama.create_chat_completion(stream=True)` on exactly the messages the app sent
  (taken from its RecallEvent), same max_tokens and temperature;
- bare: raw on the user's question alone (no system prompt, no memories), to show what the
  memory-augmented prompt itself costs.
The KV cache is reset before every run, so no run reuses another's prompt evaluation, and the
order of app and raw alternates between repetitions.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.bench.recall import percentile
from app.bootstrap import load_embedder, load_llm, open_bank, open_runtime
from app.config import Config
from app.services.chat import ChatService
from app.services.events import RecallEvent, TokenEvent
from models.chat.llama_chat import LlamaChat
from models.protocols import ChatMessage

FACTS = [
    "My sister Ana lives in Porto and teaches piano.",
    "The spare key is under the blue flower pot by the back door.",
    "I am allergic to penicillin.",
    "Our wedding anniversary is on the 12th of June.",
    "The car is due for its inspection in March.",
    "My manager at work is called Priya.",
    "I started learning Portuguese in September.",
    "The wifi password at the cabin is written inside the kitchen cupboard.",
    "Dad's birthday is on the 3rd of February; he likes jazz records.",
    "I run 5 km every Tuesday and Thursday morning.",
    "The dentist appointment is next Friday at 10:30.",
    "I prefer tea without sugar.",
]
QUESTIONS = [
    "Where does my sister Ana live and what does she teach?",
    "When is Dad's birthday and what could I give him?",
    "Where did I leave the spare key?",
    "What should a doctor know about my allergies?",
    "When is the car inspection due?",
]


@dataclass(frozen=True)
class Run:
    ttft_ms: float
    tokens: int
    tokens_per_s: float


@dataclass
class ChatBenchResult:
    reps: int
    max_tokens: int
    model: str
    app: list[Run] = field(default_factory=list)
    raw: list[Run] = field(default_factory=list)
    bare: list[Run] = field(default_factory=list)
    prompt_tokens: list[int] = field(default_factory=list)
    bare_tokens: list[int] = field(default_factory=list)
    memories_used: list[int] = field(default_factory=list)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at the start and the end

    def throughput_ratio(self) -> float:
        raw = _median(r.tokens_per_s for r in self.raw)
        return _median(r.tokens_per_s for r in self.app) / raw if raw else 0.0

    def added_ttft_ms(self) -> float:
        """Median over repetitions of app TTFT minus raw TTFT on the same prompt."""
        return _median(a.ttft_ms - r.ttft_ms for a, r in zip(self.app, self.raw, strict=True))

    def prompt_cost_ms(self) -> float:
        """Median over repetitions of raw TTFT (augmented prompt) minus raw TTFT (bare)."""
        return _median(r.ttft_ms - b.ttft_ms for r, b in zip(self.raw, self.bare, strict=True))

    def as_json(self) -> dict[str, Any]:
        def runs(items: list[Run]) -> list[dict[str, float]]:
            return [vars(r) for r in items]

        return {
            "reps": self.reps,
            "max_tokens": self.max_tokens,
            "model": self.model,
            "app": runs(self.app),
            "raw_same_prompt": runs(self.raw),
            "raw_bare_prompt": runs(self.bare),
            "prompt_tokens": self.prompt_tokens,
            "bare_prompt_tokens": self.bare_tokens,
            "memories_used": self.memories_used,
            "throughput_ratio": round(self.throughput_ratio(), 3),
            "added_ttft_ms": round(self.added_ttft_ms(), 1),
            "prompt_cost_ms": round(self.prompt_cost_ms(), 1),
            "load_average": self.load,
        }

    def markdown(self) -> str:
        rows = [
            ("app: ChatService.send", self.app, self.prompt_tokens),
            ("raw llama-cpp-python, same prompt", self.raw, self.prompt_tokens),
            ("raw llama-cpp-python, bare question", self.bare, self.bare_tokens),
        ]
        lines = [
            f"Model {self.model}, {self.reps} repetitions, up to {self.max_tokens} tokens per "
            f"reply, {len(FACTS)} memories in the store "
            f"(median {_median(self.memories_used):.0f} recalled into each prompt).",
            load_note(self.load),
            "",
            "| path | prompt tokens (median) | TTFT median ms | TTFT p95 ms "
            "| tokens/s median | tokens/s p95 |",
            "|---|---|---|---|---|---|",
        ]
        for name, runs, tokens in rows:
            ttft = [r.ttft_ms for r in runs]
            rate = [r.tokens_per_s for r in runs]
            lines.append(
                f"| {name} | {_median(tokens):.0f} | {_median(ttft):.1f} "
                f"| {percentile(ttft, 95):.1f} | {_median(rate):.1f} | {percentile(rate, 95):.1f} |"
            )
        ratio, added = self.throughput_ratio(), self.added_ttft_ms()
        lines += [
            "",
            f"- throughput ratio app / raw (same prompt): **{ratio:.3f}** (target >= 0.95: "
            f"{'met' if ratio >= 0.95 else 'not met'})",
            f"- time to first token added by the app beyond the same prompt raw (recall, "
            f"prompt assembly, storing the turn; median of paired differences): "
            f"**{added:.1f} ms** (target <= 100 ms: {'met' if added <= 100 else 'not met'})",
            f"- what the memory-augmented prompt itself costs llama.cpp over the bare question "
            f"(raw vs raw, median of paired differences): {self.prompt_cost_ms():.1f} ms",
        ]
        return "\n".join(lines)


def load_note(load: tuple[float, float]) -> str:
    """The machine's load during a run: numbers measured on an oversubscribed machine say more
    about the other work than about membank."""
    cores = os.cpu_count() or 1
    note = f"Load average {load[0]:.1f} at the start, {load[1]:.1f} at the end, {cores} cores."
    if max(load) > cores:
        note += " The machine was oversubscribed: treat absolute times as contention, not speed."
    return note


def load_average() -> float:
    return round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else 0.0


def _median(values: Iterable[float]) -> float:
    items = list(values)
    return float(statistics.median(items)) if items else 0.0


def _timed(stream: Iterator[str], start: float) -> Run:
    first: float | None = None
    count = 0
    for _piece in stream:
        if first is None:
            first = time.perf_counter()
        count += 1
    end = time.perf_counter()
    if first is None:
        return Run(round((end - start) * 1000, 1), 0, 0.0)
    rate = (count - 1) / (end - first) if count > 1 and end > first else 0.0
    return Run(round((first - start) * 1000, 1), count, round(rate, 2))


def _raw_pieces(llama: Any, messages: Sequence[ChatMessage], config: Config) -> Iterator[str]:
    stream = llama.create_chat_completion(
        messages=list(messages),
        stream=True,
        max_tokens=config.llm.max_tokens,
        temperature=config.llm.temperature,
    )
    for chunk in stream:
        piece = chunk["choices"][0]["delta"].get("content")
        if piece:
            yield piece


def _app_run(service: ChatService, llama: Any, question: str) -> tuple[Run, list[ChatMessage], int]:
    """One reply through the service in a new conversation; its run, prompt, memories used."""
    chat = service.new_conversation()
    prompt: list[ChatMessage] = []
    used = 0

    def pieces() -> Iterator[str]:
        nonlocal prompt, used
        for event in service.send(chat.id, question):
            if isinstance(event, RecallEvent):
                prompt, used = list(event.prompt), len(event.memories)
            elif isinstance(event, TokenEvent):
                yield event.text

    llama.reset()  # no prompt-prefix reuse between runs
    run = _timed(pieces(), time.perf_counter())
    return run, prompt, used


def _raw_run(llama: Any, messages: Sequence[ChatMessage], config: Config) -> Run:
    llama.reset()
    return _timed(_raw_pieces(llama, messages, config), time.perf_counter())


def run_chat(
    reps: int = 5,
    max_tokens: int = 64,
    progress: Callable[[str], None] = lambda _: None,
    *,
    warmup: bool = True,
) -> ChatBenchResult:
    # The compact prompt: the bench compares the model's own stream through the app with raw
    # llama.cpp on the same prompt (the extractive default adds the quoted memory's words).
    config = Config.model_validate({"llm": {"max_tokens": max_tokens, "prompt_style": "compact"}})
    with tempfile.TemporaryDirectory(prefix="membank-chatbench-") as tmp:
        data = Path(tmp) / "data"
        runtime = open_runtime(str(data))
        runtime.host.swap(config=config)
        try:
            progress("Loading the models…")
            bank = open_bank(runtime, load_embedder(config))
            llm = load_llm(config)
            if not isinstance(llm, LlamaChat):  # pragma: no cover - the default config
                raise TypeError("bench chat measures the in-process engine")
            runtime.host.attach(bank, llm)
            for fact in FACTS:
                runtime.curation.remember(fact)
            llama = llm._llama  # noqa: SLF001 - the raw engine, on purpose
            result = ChatBenchResult(reps, max_tokens, llm.model_id)
            start_load = load_average()
            for rep in range(0 if warmup else 1, reps + 1):
                question = QUESTIONS[rep % len(QUESTIONS)]
                app_run, prompt, used = _app_run(runtime.chat, llama, question)
                bare: list[ChatMessage] = [{"role": "user", "content": question}]
                # Alternate which raw run follows the app's, so neither always runs second.
                if rep % 2 == 0:
                    raw_run = _raw_run(llama, prompt, config)
                    bare_run = _raw_run(llama, bare, config)
                else:
                    bare_run = _raw_run(llama, bare, config)
                    raw_run = _raw_run(llama, prompt, config)
                if rep == 0:
                    continue  # the warm-up round: weights paged in, embedder warm
                result.app.append(app_run)
                result.raw.append(raw_run)
                result.bare.append(bare_run)
                result.prompt_tokens.append(sum(llm.count_tokens(m["content"]) for m in prompt))
                result.bare_tokens.append(llm.count_tokens(question))
                result.memories_used.append(used)
                progress(
                    f"rep {rep}/{reps}: app {app_run.ttft_ms:.0f} ms "
                    f"{app_run.tokens_per_s:.1f} tok/s, raw {raw_run.ttft_ms:.0f} ms "
                    f"{raw_run.tokens_per_s:.1f} tok/s, bare {bare_run.ttft_ms:.0f} ms"
                )
            result.load = (start_load, load_average())
            return result
        finally:
            runtime.close()  # closes the chat model too

"""The pieces of `bench scale` and `bench soak --year` that need no model: the dialogue corpus,
the RSS sampler, the PNG chart, the mostly-instant chat model and the RSS band."""

from __future__ import annotations

import json
import mmap
import random
import struct
from pathlib import Path

import pytest

from app.bench.corpus import Corpus, load_corpus
from app.bench.plot import line_chart
from app.bench.scale_ops import OpResult, RssSampler, ops_markdown
from app.bench.soak_report import rss_band
from app.bench.soak_year import MostlyInstantLLM, YearTrace
from app.transfer.locomo import BenchDataError
from models.protocols import ChatMessage
from tests.unit.fakes import ScriptedLLM


def test_corpus_reads_locomo_and_memorybank_shapes(tmp_path: Path) -> None:
    locomo = tmp_path / "locomo.json"
    locomo.write_text(
        json.dumps(
            [
                {
                    "conversation": {
                        "session_1": [{"speaker": "Ann", "text": "I adopted a cat."}],
                        "session_1_date_time": "1:56 pm on 8 May, 2023",
                    },
                    "qa": [{"question": "What did Ann adopt?", "category": 4}],
                }
            ]
        )
    )
    bank = tmp_path / "bank.json"
    bank.write_text(
        json.dumps(
            {"Emily": {"history": {"2023-04-27": [{"query": "Hi there", "response": "Hello"}]}}}
        )
    )
    corpus = load_corpus([locomo, bank])
    assert set(corpus.lines) == {"Ann: I adopted a cat.", "Emily: Hi there", "AI: Hello"}
    assert corpus.questions == ("What did Ann adopt?",)
    rng = random.Random(0)
    assert corpus.text(rng) in corpus.lines and corpus.query(rng) == "What did Ann adopt?"
    assert "3 distinct dialogue lines" in corpus.description


def test_corpus_without_files_uses_templates_and_rejects_other_shapes(tmp_path: Path) -> None:
    rng = random.Random(0)
    assert Corpus().text(rng).startswith("I ") and Corpus().query(rng).startswith("What did")
    odd = tmp_path / "odd.json"
    odd.write_text("42")
    with pytest.raises(BenchDataError, match="neither"):
        load_corpus([odd])


def test_rss_sampler_sees_an_allocation_inside_its_block() -> None:
    # Fresh pages from the OS (a bytearray may reuse heap pages that are already resident).
    block = mmap.mmap(-1, 64 * 1024 * 1024)
    with RssSampler(interval=0.001) as rss:
        before = rss.peak_mb
        for offset in range(0, len(block), mmap.PAGESIZE):
            block[offset] = 1  # touch every page
    assert rss.peak_mb >= before + 50
    block.close()


def test_ops_table_lists_every_operation_and_the_disk() -> None:
    lines = ops_markdown(1000, [OpResult("export", 12.5, 900.0, "zip")], {"store": 10.0})
    text = "\n".join(lines)
    assert "| export | 12.5 s | 900 MB | zip |" in text and "store 10 MB" in text


def test_line_chart_writes_a_png_of_the_asked_size(tmp_path: Path) -> None:
    path = tmp_path / "rss.png"
    line_chart(path, [0, 50, 100], [800.0, 900.0, 880.0], band=(870.0, 910.0), size=(200, 100))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (200, 100)


def test_mostly_instant_llm_calls_the_real_model_every_nth_time() -> None:
    real = ScriptedLLM(["real", " reply"])
    llm = MostlyInstantLLM(real, every=3)
    messages = [ChatMessage(role="user", content="I moved to Lyon.\nSecond line")]
    replies = ["".join(llm.stream_chat(messages)) for _ in range(6)]
    assert replies == ["I moved to Lyon."] * 2 + ["real reply"] + ["I moved to Lyon."] * 2 + [
        "real reply"
    ]
    assert (llm.calls, llm.real_calls, len(real.prompts)) == (6, 2, 2)


def test_rss_band_leaves_out_the_warm_up() -> None:
    trace = YearTrace(points=[(10, 0.1, 500.0), (50, 1.0, 900.0), (100, 2.0, 950.0)])
    assert rss_band(trace) == (900.0, 950.0)
    assert rss_band(YearTrace()) == (0.0, 0.0)

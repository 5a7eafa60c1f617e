"""The recall benchmark end to end on a slice of one LoCoMo conversation, with the real MiniLM."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.bench.recall import KS, run_recall, write_section
from tests.realmodels import shared_embedder

LOCOMO = Path(__file__).resolve().parents[3] / "shared" / "data" / "locomo" / "locomo10.json"

# The memory graph's three rows: left out, added at 0.2, and on its own.
GRAPH_MODES = {"no-graph", "with-graph", "graph-only"}

# A lived week, season or crash series with the real model: minutes, not the default 5.
pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def locomo_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first four sessions of the first conversation, and the questions they answer."""
    if not LOCOMO.exists():
        pytest.skip(f"LoCoMo is not at {LOCOMO} (see ../shared/data/locomo/README.md)")
    item = json.loads(LOCOMO.read_text(encoding="utf-8"))[0]
    conv = item["conversation"]
    keep = {f"session_{n}" for n in range(1, 5)} | {f"session_{n}_date_time" for n in range(1, 5)}
    conv = {k: v for k, v in conv.items() if k in keep or not k.startswith("session_")}
    sessions = re.compile(r"^D([1-4]):")
    qa = [q for q in item["qa"] if q["evidence"] and all(sessions.match(e) for e in q["evidence"])]
    path = tmp_path_factory.mktemp("locomo") / "slice.json"
    path.write_text(json.dumps([{"sample_id": "slice", "conversation": conv, "qa": qa}]))
    return path


def test_recall_benchmark_runs_and_the_full_pipeline_beats_each_search(
    locomo_slice: Path, tmp_path: Path
) -> None:
    report = run_recall(locomo_slice, embedder=shared_embedder())
    data = report.as_json()
    assert data["conversations"] == 1 and data["turns"] > 50
    assert data["ingest_turns_per_s"] > 0
    assert 0 < data["latency_ms"]["p50"] <= data["latency_ms"]["p95"]
    modes = data["modes"]
    assert set(modes) == {"full", "keyword-only", "dense-only", *GRAPH_MODES}
    for mode in modes.values():
        values = list(mode["categories_1_4"].values())
        assert all(0.0 <= v <= 1.0 for v in values)
        assert values == sorted(values)  # recall@k never falls as k grows
    full = modes["full"]["categories_1_4"]
    # The app's default leaves the graph out, so `no-graph` is the pipeline itself; the
    # graph alone still finds evidence through the people and things a question names.
    assert modes["no-graph"]["categories_1_4"] == full
    assert modes["graph-only"]["categories_1_4"]["R@20"] > 0.0
    assert full["R@10"] >= 0.6
    assert full["R@10"] >= modes["keyword-only"]["categories_1_4"]["R@10"]
    assert full["R@10"] >= modes["dense-only"]["categories_1_4"]["R@10"]
    # The tables land in the document, between this benchmark's markers, with the command.
    doc = tmp_path / "benchmarks.md"
    write_section(doc, "recall", "membank-cli bench recall slice.json", report.markdown())
    write_section(doc, "recall", "membank-cli bench recall slice.json", report.markdown())
    text = doc.read_text()
    assert text.count("<!-- bench recall -->") == 1
    assert "`membank-cli bench recall slice.json`" in text
    assert all(f"R@{k}" in text for k in KS)


def test_realtime_lives_the_sessions_in_time_and_reports_beside_stored(
    locomo_slice: Path,
) -> None:
    """Four sessions over about three weeks: the early ones are consolidated-or-held, then
    fade; the realtime entry has the same shape as `full` plus the faded share."""
    report = run_recall(locomo_slice, embedder=shared_embedder(), realtime=True)
    data = report.as_json()
    modes = data["modes"]
    assert set(modes) == {"full", "keyword-only", "dense-only", "realtime", *GRAPH_MODES}
    realtime = modes["realtime"]
    assert set(realtime["categories_1_4"]) == set(modes["full"]["categories_1_4"])
    assert set(realtime["by_category"]) <= set(modes["full"]["by_category"])
    assert 0.0 <= realtime["faded_share"] <= 1.0
    assert realtime["consolidated"] is False
    assert report.realtime_turns == data["turns"]
    # Some turns faded (sessions weeks apart), and the sweep ran on the days between sessions.
    assert report.faded_turns > 0 and data["jobs"]["faded"] > 0
    values = list(realtime["categories_1_4"].values())
    assert values == sorted(values)
    assert data["realtime_over_full_R@10"] == pytest.approx(
        realtime["categories_1_4"]["R@10"] / modes["full"]["categories_1_4"]["R@10"], abs=0.01
    )
    text = report.markdown()
    assert "realtime" in text and "stored-at-question-time" in text and "faded" in text

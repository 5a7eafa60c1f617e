"""membank-cli models list/download/use/remove/add as a subprocess, downloading from the loopback
hub stand-in (HF_ENDPOINT) that serves the bundled GGUF under a catalog entry's repo and name."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import load_config
from models.hub.catalog import find_entry, load_catalog
from models.hub.discovery import bundled_chat_model_path
from tests.hub_standin import StandInHub

pytestmark = [pytest.mark.model, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
ENTRY = find_entry(load_catalog(), "qwen2.5-1.5b-instruct")


def _env(hub: StandInHub) -> dict[str, str]:
    env = {**os.environ, "HF_ENDPOINT": hub.endpoint, "PYTHONPATH": str(ROOT)}
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("TRANSFORMERS_OFFLINE", None)
    return env


def cli(data: Path, hub: StandInHub, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), "models", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(hub),
        cwd=ROOT,
    )


@pytest.fixture
def hub() -> Iterator[StandInHub]:
    assert ENTRY is not None and ENTRY.filename
    stand_in = StandInHub()
    stand_in.add_file(ENTRY.repo_id, ENTRY.filename, bundled_chat_model_path())
    stand_in.start()
    try:
        yield stand_in
    finally:
        stand_in.stop()


def test_list_download_use_remove(tmp_path: Path, hub: StandInHub) -> None:
    assert ENTRY is not None and ENTRY.filename
    data = tmp_path / "data"
    listed = json.loads(cli(data, hub, "list", "--json").stdout)
    by_id = {row["id"]: row for row in listed}
    assert set(by_id) == {e.id for e in load_catalog()}
    assert by_id[ENTRY.id]["fit"] in {"fits", "tight", "too_big"} and by_id[ENTRY.id]["reason"]
    assert by_id["all-MiniLM-L6-v2"]["active"] is True

    done = cli(data, hub, "download", ENTRY.id)
    assert done.returncode == 0, done.stderr
    path = data / "models" / ENTRY.filename
    assert path.read_bytes() == bundled_chat_model_path().read_bytes()
    assert "(100%)" in done.stderr

    used = cli(data, hub, "use", ENTRY.id)
    assert used.returncode == 0, used.stderr
    assert load_config(data / "config.toml").llm.model_path == str(path)
    row = {r["id"]: r for r in json.loads(cli(data, hub, "list", "--json").stdout)}[ENTRY.id]
    assert row["active"] is True and row["installed_path"] == str(path)

    refused = cli(data, hub, "remove", ENTRY.id)
    assert refused.returncode == 1 and "in use" in refused.stderr
    assert cli(data, hub, "use", str(bundled_chat_model_path())).returncode == 0
    assert load_config(data / "config.toml").llm.model_path == ""
    assert cli(data, hub, "remove", ENTRY.id).returncode == 0 and not path.exists()

    unknown = cli(data, hub, "use", "qwen2.5-7b-instruct")
    assert unknown.returncode == 1 and "models download qwen2.5-7b-instruct" in unknown.stderr


def test_add_warns_and_bad_file_is_refused(tmp_path: Path, hub: StandInHub) -> None:
    data = tmp_path / "data"
    base = tmp_path / "base.gguf"
    raw = bundled_chat_model_path().read_bytes()
    base.write_bytes(raw.replace(b"tokenizer.chat_template", b"tokenizer.chat_templatX"))
    added = cli(data, hub, "add", str(base))
    assert added.returncode == 0 and "no chat template" in added.stderr
    (tmp_path / "text.gguf").write_text("not a model")
    bad = cli(data, hub, "add", str(tmp_path / "text.gguf"))
    assert bad.returncode == 1 and "not a GGUF" in bad.stderr
    assert [p.name for p in (data / "models").iterdir()] == ["base.gguf"]


# The child starts with SIGINT ignored, as every command a non-interactive shell starts in the
# background does (a CI run launched with `&`): Python then installs no Ctrl-C handler, and
# before the fix the download ignored the signal and ran to 100 %.
IGNORING_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def test_ctrl_c_cancels_the_download_and_keeps_the_part(tmp_path: Path, hub: StandInHub) -> None:
    """Event to event, no speed assumed: the hub holds the transfer after 1 MB, the part file
    holds that 1 MB, Ctrl-C goes in, the CLI says it is cancelling, only then does the hub send
    the rest."""
    assert ENTRY is not None and ENTRY.filename
    hub.hold_after = 1_000_000
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-c", IGNORING_SIGINT, "-m", "app.cli.main", "--data-dir", str(data)]
        + ["models", "download", ENTRY.id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(hub),
        cwd=ROOT,
    )
    part = data / "models" / (ENTRY.filename + ".part")
    seen = ""
    try:
        assert proc.stderr is not None
        assert hub.held.wait(timeout=300), "the hub never sent 1 MB"
        # The hub has sent 1 MiB and holds the rest: the CLI writes what it received (all but
        # its last buffered block) and then waits for more, however slowly it runs.
        deadline = time.monotonic() + 300
        while not part.exists() or part.stat().st_size < 1_000_000:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the CLI never wrote the first 1 MB"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        while "cancelling" not in seen:
            char = proc.stderr.read(1)
            assert char, f"the CLI exited without cancelling: {seen[-500:]}"
            seen += char
        hub.release.set()
        _, err = proc.communicate(timeout=120)
    finally:
        hub.release.set()
        if proc.poll() is None:
            proc.kill()
    err = seen + err
    assert proc.returncode == 130, err
    assert "cancelled" in err and "Traceback" not in err
    assert 1_000_000 <= part.stat().st_size < bundled_chat_model_path().stat().st_size
    assert not (data / "models" / ENTRY.filename).exists()
    shutil.rmtree(data / "models")

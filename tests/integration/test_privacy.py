"""Privacy on a shared computer, as a user runs membank (issue 17): separate CLI processes
started under the usual umask 022 leave only 0700 folders and 0600 files, Chroma's included;
a loose store is tightened and said once; `doctor` reports and `--repair` fixes; a download's
`.part` file is 0600; and a run that used both secrets writes neither anywhere."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from app.config import Config, LLMConfig, save_config
from models.errors import DownloadCancelled
from models.hub import download
from models.hub.discovery import bundled_chat_model_path
from tests.hub_standin import StandInHub
from tests.servers import llama_server

pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.skipif(os.name != "posix", reason="POSIX modes (Windows: see README)"),
]


def _umask_022() -> None:
    os.umask(0o022)


def cli(
    data: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        preexec_fn=_umask_022,  # the usual desktop umask: alone it would give 0644 / 0755
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def not_private(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root.parent)): f"{mode(p):o}"
        for p in [root, *root.rglob("*")]
        if mode(p) != (0o700 if p.is_dir() else 0o600)
    }


def test_a_store_with_index_backup_and_export_is_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(data, "remember", "My bank PIN hint is the cat's birthday").returncode == 0
    backup = cli(data, "backup", "now")
    assert backup.returncode == 0, backup.stderr
    exports = tmp_path / "exports"
    exports.mkdir()
    exported = cli(data, "export", str(exports / "all.membank"))
    assert exported.returncode == 0, exported.stderr

    chroma_files = [p for p in (data / "chroma").rglob("*") if p.is_file()]
    assert len(chroma_files) >= 2  # chroma.sqlite3 and the HNSW segment files
    assert {p.name for p in data.iterdir()} >= {
        "membank.sqlite3",
        "chroma",
        "backups",
        "logs",
        "membank.lock",
    }
    assert len(list((data / "backups").iterdir())) == 1
    assert not_private(data) == {}
    assert mode(exports / "all.membank") == 0o600

    report = json.loads(cli(data, "doctor", "--json").stdout)
    assert report["permissions"].startswith("private")
    assert report["problems"] == []


def _loosen(data: Path) -> None:
    for path in [data, *data.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def test_a_loose_store_is_tightened_at_start_and_the_user_told_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(data, "remember", "The spare key is under the blue pot").returncode == 0
    _loosen(data)
    assert mode(data / "membank.sqlite3") == 0o644

    first = cli(data, "memories", "list")
    assert first.returncode == 0, first.stderr
    assert "note: Other accounts on this computer could read your membank data" in first.stderr
    assert "now private to you" in first.stderr
    assert not_private(data) == {}

    again = cli(data, "memories", "list")
    assert again.returncode == 0 and "note:" not in again.stderr


def test_doctor_reports_loose_permissions_and_repair_fixes_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(data, "remember", "Dentist on Friday").returncode == 0
    _loosen(data)

    checked = cli(data, "doctor")
    assert checked.returncode == 1
    assert "files or folders other accounts can read" in checked.stdout
    assert "Run `membank-cli doctor --repair` to make them private" in checked.stdout
    assert mode(data / "membank.sqlite3") == 0o644  # doctor alone changes nothing

    repaired = cli(data, "doctor", "--repair")
    assert repaired.returncode == 0, repaired.stdout
    assert "REPAIRED: Made" in repaired.stdout and "private (owner-only)" in repaired.stdout
    assert not_private(data) == {}
    assert "private (only your account" in cli(data, "doctor").stdout


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandInHub]:
    stand_in = StandInHub()
    stand_in.add_file("membank-test/tiny", "model.gguf", bundled_chat_model_path())
    stand_in.start()
    monkeypatch.setenv("HF_ENDPOINT", stand_in.endpoint)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    try:
        yield stand_in
    finally:
        stand_in.stop()


def test_a_download_part_file_is_0600_in_a_0700_folder(hub: StandInHub, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        cancel = threading.Event()
        folder = tmp_path / "models"
        with pytest.raises(DownloadCancelled):
            download.download_file(
                "membank-test/tiny",
                "model.gguf",
                folder / "model.gguf",
                progress=lambda done, _: cancel.set() if done > 1_000_000 else None,
                cancel=cancel,
            )
    finally:
        os.umask(old)
    part = folder / "model.gguf.part"
    assert part.stat().st_size > 1_000_000
    assert mode(part) == 0o600 and mode(folder) == 0o700


@pytest.mark.gui
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)")
def test_the_running_app_listens_on_no_network_port(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MEMBANK_STARTUP_PROBE": "1"}
    app = subprocess.Popen(
        [sys.executable, "-m", "ui", "--data-dir", str(tmp_path / "data")],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert app.stderr is not None
        for line in app.stderr:  # the probe's lines; the models are loaded at the last one
            if line.startswith("membank-startup models_ready"):
                break
        else:
            pytest.fail(f"the app exited ({app.wait()}) before its models were ready")
        # psutil reads /proc/<pid>/fd and /proc/net, and skips a descriptor closed meanwhile.
        process = psutil.Process(app.pid)
        assert process.net_connections(kind="unix")  # its own socket: the check sees sockets
        exposed = [
            c
            for c in process.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN or (c.type == socket.SOCK_DGRAM and c.laddr)
        ]
        assert exposed == []
    finally:
        app.terminate()  # SIGTERM: the app quits through its own quit path
        app.wait(timeout=60)
        if app.stderr is not None:
            app.stderr.close()


KEY = "sk-membank-9d41c07be2a84f6e"
PASSPHRASE = "quiet-harbour-5512-lilac"


def _everything_written(data: Path, outputs: list[str]) -> dict[str, bytes]:
    """Every byte membank wrote: its files (the archives unzipped) and what it printed."""
    found = {f"output {i}": text.encode() for i, text in enumerate(outputs)}
    for path in data.rglob("*"):
        if not path.is_file() or path.name == "config.toml":  # where the user put the key
            continue
        found[str(path)] = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    found[f"{path}!{member}"] = archive.read(member)
    return found


def test_api_key_and_passphrase_are_written_nowhere(tmp_path: Path) -> None:
    pytest.importorskip("sqlcipher3")
    data = tmp_path / "data"
    (tmp_path / "server").mkdir()
    with llama_server(tmp_path / "server", api_key=KEY) as url:
        save_config(
            data / "config.toml",
            Config(llm=LLMConfig(engine="openai", base_url=url, api_key=KEY, max_tokens=16)),
        )
        env = {**os.environ, "MEMBANK_DB_PASSPHRASE": PASSPHRASE}
        runs = [
            cli(data, "remember", "The alarm code is four digits", env=env),
            cli(data, "ask", "What do you know about my alarm?", env=env),
            cli(data, "backup", "now", env=env),
            cli(data, "export", str(data / "exports-all.membank"), env=env),
            cli(data, "doctor", env=env),
            cli(data, "doctor", "--json", env=env),
            cli(data, "memories", "list", env={**env, "MEMBANK_DB_PASSPHRASE": "wrong one"}),
        ]
    outputs = [r.stdout + r.stderr for r in runs]
    assert [r.returncode for r in runs] == [0, 0, 0, 0, 0, 0, 1], outputs
    assert "passphrase is wrong" in outputs[-1]
    written = _everything_written(data, outputs)
    assert any(name.endswith(".log") for name in written)  # the log file was written and read
    assert sum(1 for name in written if "!" in name) >= 2  # the backup's and export's members
    secrets = (KEY.encode(), PASSPHRASE.encode())
    leaks = sorted(name for name, blob in written.items() if any(s in blob for s in secrets))
    assert leaks == []
    # The grep can see them: the user's own config holds the key in plain text.
    assert KEY in (data / "config.toml").read_text()

"""Real servers on loopback for the remote-engine tests: llama-cpp-python's OpenAI-compatible
server on the bundled GGUF, and `chroma run`. Each runs as a child process, killed after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from models.hub.discovery import bundled_chat_model_path

LLAMA_CTX = 2048


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _process(args: list[str], ready_url: str, log: Path, timeout: float) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{args[:3]} exited: {log.read_text(errors='replace')}")
                try:
                    if httpx.get(ready_url, timeout=1.0).status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{ready_url} not ready after {timeout} s")
                time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def llama_server(folder: Path, api_key: str = "") -> Iterator[str]:
    """`python -m llama_cpp.server` on the bundled model; yields its base URL (…/v1)."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(bundled_chat_model_path()),
        "--model_alias",
        "smollm2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(LLAMA_CTX),
        "--n_threads",
        "2",
    ]
    if api_key:
        args += ["--api_key", api_key]
    headers = f"http://127.0.0.1:{port}"
    with _process(args, f"{headers}/v1/models", folder / "llama-server.log", 120):
        yield f"{headers}/v1"


@contextmanager
def chroma_server(folder: Path) -> Iterator[str]:
    """`chroma run --path folder` on a free port; yields its URL."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    args = [str(chroma), "run", "--path", str(folder / "data"), "--port", str(port)]
    args += ["--host", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}"
    with _process(args, f"{url}/api/v2/heartbeat", folder / "chroma.log", 60):
        yield url

"""Where an MCP call runs: in the membank window if one runs, else here, holding the folder.

A data folder never has two writers (Chroma is not process-safe), so membank-mcp never keeps
the folder: for each call it first offers the call to a running window (over its same-user
socket); if none answers, it takes the instance lock, opens the store and index, runs the call
and closes everything again, lock last. A window started meanwhile waits a few seconds for the
lock (ui/__main__.py), then owns the folder, and the next call is handed to it. While a window
is starting (lock taken, socket not yet listening) the call waits and tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from app.bootstrap import load_embedder, open_bank, open_runtime
from app.config import Config, load_config, resolve_paths
from app.instance import AlreadyRunningError
from app.mcp.access import MemoryAccess
from app.mcp.gateway import McpGateway, ToolRefused
from app.mcp.ipc import InstanceError, McpRequest, NoInstance, call_running, window_running
from models.protocols import Embedder

log = logging.getLogger(__name__)
RELEASE_GAP_S = 0.3  # > the lock's 0.05 s poll interval


class McpRouter:
    """Runs one tool call at a time, in the window or on the folder itself."""

    def __init__(
        self,
        data_dir: str | None,
        now: datetime | None = None,
        *,
        wait_s: float = 60.0,
        load: Callable[[Config], Embedder] = load_embedder,
    ) -> None:
        self.data_dir = data_dir
        self.now = now
        self.wait_s = wait_s
        self._load = load
        self._embedder: Embedder | None = None
        self._serial = threading.Lock()
        self._loading = threading.Lock()
        self.served_by = ""  # "window" or "self": where the last call ran (tests, logs)
        self._released = 0.0

    @property
    def folder(self) -> Path:
        return resolve_paths(self.data_dir).data_dir

    def config(self) -> Config:
        return load_config(resolve_paths(self.data_dir).config_file)

    def call(self, client: str, tool: str, args: Mapping[str, Any]) -> Any:
        request = McpRequest(client, tool, dict(args))
        deadline = time.monotonic() + self.wait_s
        with self._serial:
            while True:
                try:
                    result = call_running(self.folder, request)
                    self.served_by = "window"
                    log.info("mcp %s ran in the window", tool)
                    return result
                except InstanceError as exc:
                    raise ToolRefused(str(exc)) from None
                except NoInstance:
                    pass
                # Calls in a row leave a gap, so a window waiting for the folder gets it.
                time.sleep(max(0.0, self._released + RELEASE_GAP_S - time.monotonic()))
                try:
                    result = self._run_here(request)
                    self.served_by = "self"
                    log.info("mcp %s ran in this process", tool)
                    return result
                except AlreadyRunningError:
                    pass  # a window (or membank-cli) holds the folder: ask again shortly
                if time.monotonic() > deadline:
                    raise ToolRefused(
                        "membank's data folder is busy: another membank program holds it and "
                        "does not answer. Wait for it to finish (or quit it), then try again."
                    )
                time.sleep(0.25)

    def embedder(self) -> Embedder:
        """Loaded once, before the folder is taken (loading takes seconds; the folder must not
        be held that long). The embedder is not part of the folder, so it stays loaded."""
        with self._loading:
            if self._embedder is None:
                self._embedder = self._load(self.config())
            return self._embedder

    def prewarm(self) -> None:
        """Load the embedder now (on a thread) when no window runs, so the first call is quick."""
        if window_running(self.folder):
            return
        try:
            self.embedder()
        except Exception:  # noqa: BLE001 - the first call reports it properly
            log.exception("loading the embedding model ahead of the first call failed")

    def _run_here(self, request: McpRequest) -> Any:
        embedder = self.embedder()
        runtime = open_runtime(self.data_dir, self.now)  # AlreadyRunningError: not ours now
        try:
            runtime.host.swap(bank=open_bank(runtime, embedder))  # the index only, no LLM
            gateway = McpGateway(
                MemoryAccess.of(runtime),
                runtime.clock,
                lambda: runtime.config.mcp,
                config_file=runtime.paths.config_file,
            )
            return gateway.call(request.client, request.tool, request.args)
        finally:
            runtime.close()  # index, store, then the lock: the folder is free again
            self._released = time.monotonic()

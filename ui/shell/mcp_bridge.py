"""MCP calls handed over by membank-mcp, run on the window's store executor (one writer)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app.bootstrap import Runtime
from app.mcp.access import MemoryAccess
from app.mcp.gateway import McpGateway, ToolRefused
from app.mcp.ipc import McpRequest, error_line, ok_line
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)
Reply = Callable[[bytes], None]
LOAD_WAIT_S = 180.0  # a call that arrives while the models load waits this long at most


class McpBridge(QObject):
    """Answers `mcp` requests from the single-instance socket with the same gateway membank-mcp
    uses on its own; the window's Pause memory refuses MCP writes too."""

    accessed = Signal(str, str)  # client, tool: the Connected apps view refreshes

    def __init__(
        self,
        runtime: Runtime,
        tasks: TaskRunner,
        paused: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runtime = runtime
        self._tasks = tasks
        self._access = MemoryAccess.of(runtime)
        self.gateway = McpGateway(
            self._access,
            runtime.clock,
            lambda: self._runtime.config.mcp,
            paused,
            runtime.paths.config_file,
        )
        for name, broken in runtime.config.mcp.broken.items():
            log.warning(
                "[mcp.clients.%s] in %s is skipped, that app's calls are refused until it is "
                "fixed: %s",
                name,
                runtime.paths.config_file,
                broken.problem,
            )
        self._waiting: list[tuple[McpRequest, Reply, float]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._on_tick)

    def handle(self, request: McpRequest, reply: Reply) -> None:
        if not self._access.ready:  # models still loading: answer once they are
            self._waiting.append((request, reply, time.monotonic() + LOAD_WAIT_S))
            self._timer.start()
            return
        self._run(request, reply)

    def _run(self, request: McpRequest, reply: Reply) -> None:
        def done(result: object) -> None:
            reply(ok_line(result))
            self.accessed.emit(request.client, request.tool)

        def failed(error: BaseException) -> None:
            if isinstance(error, ToolRefused):
                reply(error_line(str(error)))
            else:
                log.error("an MCP %s call failed", request.tool, exc_info=error)
                reply(error_line(f"membank could not do that ({type(error).__name__})."))
            self.accessed.emit(request.client, request.tool)

        self._tasks.run(
            lambda: self.gateway.call(request.client, request.tool, request.args), done, failed
        )

    def _on_tick(self) -> None:
        waiting, self._waiting = self._waiting, []
        for request, reply, deadline in waiting:
            if self._access.ready:
                self._run(request, reply)
            elif time.monotonic() > deadline:
                reply(error_line("membank is still loading its models. Try again in a moment."))
            else:
                self._waiting.append((request, reply, deadline))
        if not self._waiting:
            self._timer.stop()

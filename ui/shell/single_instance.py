"""One membank per data folder: a second launch hands its request ("show", "capture") over a
QLocalServer to the running one instead of failing; membank-mcp hands its tool calls the same
way (`mcp {json}`, answered with one JSON line: app/mcp/ipc.py). Only the same OS user can
connect: the socket is 0600 (UserAccessOption) in a 0700 folder (app/privacy/ipc.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.mcp.ipc import PREFIX, McpRequest, error_line
from app.privacy.ipc import socket_name

REQUESTS = ("show", "capture")
Reply = Callable[[bytes], None]
McpHandler = Callable[[McpRequest, Reply], None]


def server_name(data_dir: Path) -> str:
    return socket_name(data_dir)  # membank-mcp finds the window by the same name


def send_to_running(data_dir: Path, request: str, timeout_ms: int = 2000) -> bool:
    """Deliver `request` to the instance that owns `data_dir`; False if none answers."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(request.encode() + b"\n")
    delivered = socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return delivered


class InstanceServer(QObject):
    def __init__(
        self, data_dir: Path, handle: Callable[[str], None], mcp: McpHandler | None = None
    ) -> None:
        super().__init__()
        self._handle = handle
        self._mcp = mcp
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        name = server_name(data_dir)
        QLocalServer.removeServer(name)  # a stale socket from a crashed instance (we hold the lock)
        self._server.newConnection.connect(self._on_connection)
        self.listening = self._server.listen(name)

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.disconnected.connect(socket.deleteLater)
            socket.readyRead.connect(lambda s=socket: self._read(s))
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            request = bytes(socket.readLine().data()).decode(errors="replace").strip()
            if request in REQUESTS:
                self._handle(request)
            elif request.startswith(PREFIX):
                self._on_mcp(socket, request[len(PREFIX) :])

    def _on_mcp(self, socket: QLocalSocket, payload: str) -> None:
        def reply(data: bytes) -> None:
            try:
                connected = socket.state() == QLocalSocket.LocalSocketState.ConnectedState
            except RuntimeError:  # the caller hung up and Qt deleted the socket meanwhile
                return
            if connected:
                socket.write(data)
                socket.disconnectFromServer()  # after the pending bytes are written

        try:
            request = McpRequest.decode(payload)
        except ValueError as exc:
            reply(error_line(f"membank did not understand the request ({exc})."))
            return
        if self._mcp is None:
            reply(error_line("This membank window does not serve MCP requests."))
            return
        self._mcp(request, reply)

    def socket_path(self) -> str:
        """Where clients connect (a path on Unix, a pipe name on Windows)."""
        return str(self._server.fullServerName())

    def close(self) -> None:
        self._server.close()

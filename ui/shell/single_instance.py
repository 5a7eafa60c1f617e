"""One membank per data folder: a second launch hands its request ("show", "capture") over a
QLocalServer to the running one instead of failing; membank-mcp hands its tool calls the same
way (`mcp {json}`, answered with one JSON line: app/mcp/ipc.py). Only the same OS user can
connect: the socket is 0600 (UserAccessOption) in a 0700 folder (app/privacy/ipc.py). Where Python
has no Unix sockets (Windows) membank-mcp's calls come over loopback TCP, each connection
opening with the token of the 0600 endpoint file (McpTcpServer)."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtNetwork import (
    QAbstractSocket,
    QHostAddress,
    QLocalServer,
    QLocalSocket,
    QTcpServer,
    QTcpSocket,
)

from app.mcp.ipc import PREFIX, TOKEN_PREFIX, McpRequest, error_line
from app.privacy.ipc import (
    TcpEndpoint,
    endpoint_path,
    new_token,
    socket_name,
    use_tcp,
    write_endpoint,
)

log = logging.getLogger(__name__)

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
        self.tcp: McpTcpServer | None = None
        if mcp is not None and use_tcp():
            self.tcp = McpTcpServer(data_dir, self._on_mcp, self)

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

    def _on_mcp(self, socket: QLocalSocket | QTcpSocket, payload: str) -> None:
        def reply(data: bytes) -> None:
            try:
                if isinstance(socket, QTcpSocket):
                    connected = socket.state() == QAbstractSocket.SocketState.ConnectedState
                else:
                    connected = socket.state() == QLocalSocket.LocalSocketState.ConnectedState
            except RuntimeError:  # the caller hung up and Qt deleted the socket meanwhile
                return
            if connected:
                socket.write(data)
                if isinstance(socket, QTcpSocket):
                    socket.disconnectFromHost()
                else:
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
        if self.tcp is not None:
            self.tcp.close()


class McpTcpServer(QObject):
    """membank-mcp's way in where there are no Unix sockets: 127.0.0.1 at a free port, published
    with a fresh token in the data folder's 0600 mcp-endpoint.json. A connection whose first
    line is not `token <that token>` is closed unanswered."""

    def __init__(
        self,
        data_dir: Path,
        on_mcp: Callable[[QTcpSocket, str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self._on_mcp = on_mcp
        self._token = new_token()
        self._server = QTcpServer(self)
        self._server.newConnection.connect(self._on_connection)
        self.listening = self._server.listen(QHostAddress(QHostAddress.SpecialAddress.LocalHost), 0)
        self.port = int(self._server.serverPort()) if self.listening else 0
        if self.listening:
            write_endpoint(data_dir, TcpEndpoint(self.port, self._token))
            log.info(
                "MCP hand-off listening on 127.0.0.1:%d (token in %s)",
                self.port,
                endpoint_path(data_dir).name,
            )
        else:
            log.error("MCP hand-off could not listen on loopback: %s", self._server.errorString())

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.disconnected.connect(socket.deleteLater)
            state = {"trusted": False}
            socket.readyRead.connect(lambda s=socket, st=state: self._read(s, st))
            if socket.bytesAvailable():
                self._read(socket, state)

    def _read(self, socket: QTcpSocket, state: dict[str, bool]) -> None:
        while socket.canReadLine():
            line = bytes(socket.readLine().data()).decode(errors="replace").strip()
            if not state["trusted"]:
                given = line[len(TOKEN_PREFIX) :] if line.startswith(TOKEN_PREFIX) else ""
                if not hmac.compare_digest(given.encode(), self._token.encode()):
                    log.warning("MCP hand-off: a loopback connection without the token, closed")
                    socket.abort()
                    return
                state["trusted"] = True
            elif line.startswith(PREFIX):
                self._on_mcp(socket, line[len(PREFIX) :])

    def close(self) -> None:
        self._server.close()
        path = endpoint_path(self._data_dir)
        try:
            if path.read_text(encoding="utf-8").find(self._token) >= 0:  # ours, not a newer one
                path.unlink()
        except OSError:
            pass

"""No network at run time: a whole session with the bundled local models (chat, consolidation,
export, import into a second data folder) never connects a socket outside loopback."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.realmodels import ready_runtime

pytestmark = [pytest.mark.model, pytest.mark.slow]

DAY = datetime.fromisoformat("2026-11-02T09:00:00+00:00")
EVENING = datetime.fromisoformat("2026-11-02T21:00:00+00:00")


def _local(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", object()):
        return True
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback  # 127/8, ::1
    except ValueError:
        return False  # a host name: would need DNS, i.e. the network


class NetworkGuard:
    def __init__(self) -> None:
        self.installed = False
        self.blocked: list[str] = []

    def check(self, family: int, address: Any) -> None:
        if not _local(family, address):
            self.blocked.append(repr(address))
            raise OSError(f"test_no_network: connection to {address!r} blocked")


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    g = NetworkGuard()
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    create_connection = socket.create_connection

    def guarded_connect(self: socket.socket, address: Any) -> None:
        g.check(self.family, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        g.check(self.family, address)
        return connect_ex(self, address)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        g.check(socket.AF_INET, address)
        return create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    g.installed = True
    yield g
    assert not g.blocked, f"connections outside loopback: {g.blocked}"


def test_the_guard_blocks_outside_addresses(guard: NetworkGuard) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(OSError):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 443), timeout=0.1)
    assert guard.blocked == ["('192.0.2.1', 80)", "('example.org', 443)"]
    guard.blocked.clear()
    # Loopback is allowed (nothing listens there: refused, not blocked).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.connect_ex(("127.0.0.1", 9))
    assert guard.blocked == []


def test_a_whole_session_stays_off_the_network(guard: NetworkGuard, tmp_path: Path) -> None:
    assert guard.installed and isinstance(socket.socket.connect, type(lambda: None))
    with ready_runtime(tmp_path / "first", DAY) as runtime:
        chat = runtime.chat.new_conversation()
        events = list(
            runtime.chat.send(chat.id, "My sister Ana lives in Porto.", cancel=threading.Event())
        )
        assert events and runtime.chat.messages(chat.id)[-1].role == "assistant"
        runtime.curation.remember("The spare key is under the blue flower pot.")
    with ready_runtime(tmp_path / "first", EVENING) as runtime:
        result = runtime.jobs().run("daily")
        assert result.error is None
        assert result.counts.get("session_summaries", 0) >= 1, result
        report = runtime.archive.export(tmp_path / "session.membank")
        exported = report.counts["memories"]
    with ready_runtime(tmp_path / "second", EVENING) as runtime:
        imported = runtime.archive.import_archive(tmp_path / "session.membank")
        assert imported.added["memories"] == exported
        found = runtime.curation.search("spare key")
        assert any("flower pot" in r.memory.text for r in found)
    assert guard.blocked == []

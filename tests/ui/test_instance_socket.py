"""The running instance's socket accepts only the same OS user (issue 17, STYLE.md §3).

The refusal is tested for real where the test runs as root (CI): a throwaway account made with
`useradd` connects through `setpriv` and is refused, while the same account can connect to a
socket that anyone may use (so the refusal is the socket's doing, not a broken set-up). Where
that cannot run, the socket file's owner and mode are checked instead (always run).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalServer
from pytestqt.qtbot import QtBot

from ui.shell.single_instance import InstanceServer, send_to_running, server_name

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(os.name != "posix", reason="Unix sockets (Windows: a per-user pipe)"),
]

CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as exc:
    print(type(exc).__name__)
else:
    print("connected")
"""
# An interpreter another account can run (the venv's may live under root's 0700 home).
SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3", "/bin/python3") if Path(p).is_file()), "")


@pytest.fixture
def server(qtbot: QtBot, tmp_path: Path) -> Iterator[InstanceServer]:
    requests: list[str] = []
    instance = InstanceServer(tmp_path / "data", requests.append)
    assert instance.listening
    yield instance
    instance.close()


def test_socket_is_owned_by_this_user_and_closed_to_others(server: InstanceServer) -> None:
    name = server.socket_path()
    path = Path(name)
    assert path.is_absolute(), name  # in the private runtime folder, not a bare name in /tmp
    info = path.lstat()
    assert stat.S_ISSOCK(info.st_mode)
    assert info.st_uid == os.getuid()
    assert stat.S_IMODE(info.st_mode) & 0o077 == 0, oct(info.st_mode)
    folder = path.parent.lstat()
    assert folder.st_uid == os.getuid() and stat.S_IMODE(folder.st_mode) == 0o700


def test_the_same_user_still_hands_requests_over(
    qtbot: QtBot, tmp_path: Path, server: InstanceServer
) -> None:
    assert send_to_running(tmp_path / "data", "show")


@pytest.fixture(scope="module")
def other_user() -> Iterator[tuple[int, int]]:
    """A throwaway account (uid, gid), removed afterwards."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to create a second account (CI runs as root)")
    missing = [t for t in ("useradd", "userdel", "setpriv") if shutil.which(t) is None]
    if missing or not SYSTEM_PYTHON:
        pytest.skip(f"cannot act as another account here: missing {missing or 'python3'}")
    name = f"mbtest{secrets.token_hex(3)}"
    made = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"useradd failed: {made.stderr.strip()}")
    try:
        ids = subprocess.run(["id", "-u", name], capture_output=True, text=True, check=True)
        gids = subprocess.run(["id", "-g", name], capture_output=True, text=True, check=True)
        yield int(ids.stdout), int(gids.stdout)
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def connect_as(user: tuple[int, int], path: str) -> str:
    uid, gid = user
    result = subprocess.run(
        [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={gid}",
            "--clear-groups",
            SYSTEM_PYTHON,
            "-I",
            "-c",
            CONNECT,
            path,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder every account may enter (tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="membank-ipc-"))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """umask 000: without membank's care a new socket would be 0777, open to everyone."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_another_account_can_connect_to_a_socket_open_to_all(
    other_user: tuple[int, int], open_folder: Path, permissive_umask: None
) -> None:
    """The control: the refusals below are the sockets' doing, not a broken set-up."""
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.bind(str(open_folder / "anyone"))
    control.listen(1)
    try:
        assert connect_as(other_user, str(open_folder / "anyone")) == "connected"
    finally:
        control.close()


def test_another_account_is_refused_by_the_running_instance(
    qtbot: QtBot, tmp_path: Path, other_user: tuple[int, int], permissive_umask: None
) -> None:
    server = InstanceServer(tmp_path / "data", lambda _: None)
    try:
        assert server.listening
        assert connect_as(other_user, server.socket_path()) == "PermissionError"
    finally:
        server.close()


def test_user_access_option_alone_refuses_another_account(
    qtbot: QtBot, other_user: tuple[int, int], open_folder: Path, permissive_umask: None
) -> None:
    """Also where the socket cannot live in a private folder (then it is a bare name in /tmp)."""
    server = QLocalServer()
    server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
    assert server.listen(str(open_folder / "membank-test"))
    try:
        assert connect_as(other_user, server.fullServerName()) == "PermissionError"
    finally:
        server.close()


def test_server_name_is_stable_per_data_folder(tmp_path: Path) -> None:
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")

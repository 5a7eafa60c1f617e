"""One membank per data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.instance import AlreadyRunningError, InstanceLock


def test_second_lock_on_the_same_file_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    lock_file = tmp_path / "data" / "membank.lock"
    first = InstanceLock(lock_file)
    first.acquire()
    try:
        assert lock_file.with_suffix(".pid").read_text() == str(os.getpid())
        with pytest.raises(AlreadyRunningError) as info:
            InstanceLock(lock_file).acquire()
        message = str(info.value)
        assert f"process {os.getpid()}" in message
        assert str(lock_file.parent) in message
    finally:
        first.release()


def test_release_allows_acquiring_again(tmp_path: Path) -> None:
    lock_file = tmp_path / "membank.lock"
    first = InstanceLock(lock_file)
    first.acquire()
    first.release()
    second = InstanceLock(lock_file)
    second.acquire()
    try:
        with pytest.raises(AlreadyRunningError):
            InstanceLock(lock_file).acquire()
    finally:
        second.release()
    first.acquire()  # the same object can take it again too
    first.release()


def test_release_without_acquire_is_harmless(tmp_path: Path) -> None:
    lock = InstanceLock(tmp_path / "membank.lock")
    lock.release()
    lock.release()


def test_context_manager_holds_and_releases(tmp_path: Path) -> None:
    lock_file = tmp_path / "membank.lock"
    with InstanceLock(lock_file), pytest.raises(AlreadyRunningError):
        InstanceLock(lock_file).acquire()
    with InstanceLock(lock_file):
        pass


def test_different_folders_do_not_conflict(tmp_path: Path) -> None:
    with (
        InstanceLock(tmp_path / "a" / "membank.lock"),
        InstanceLock(tmp_path / "b" / "membank.lock"),
    ):
        pass


def test_missing_pid_file_still_reports_already_running(tmp_path: Path) -> None:
    lock_file = tmp_path / "membank.lock"
    with InstanceLock(lock_file):
        lock_file.with_suffix(".pid").unlink()
        with pytest.raises(AlreadyRunningError) as info:
            InstanceLock(lock_file).acquire()
        assert str(info.value).startswith("Another membank is using the data folder")

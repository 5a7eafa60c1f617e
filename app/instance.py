"""One running membank per data folder (Chroma is not safe for two processes on one folder)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from models.errors import MembankError
from models.private_files import FILE_MODE, private_dir, write_private_text


class AlreadyRunningError(MembankError):
    title = "membank is already running"

    def __init__(self, data_dir: Path, holder: str) -> None:
        who = f" (process {holder})" if holder else ""
        super().__init__(
            f"Another membank{who} is using the data folder {data_dir}. Use that window (or its "
            "tray icon), quit it first, or pick another folder with --data-dir."
        )


class InstanceLock:
    """An exclusive OS-level lock on `<data_dir>/membank.lock`; released when the process dies."""

    def __init__(self, lock_file: Path) -> None:
        self.lock_file = lock_file
        self._pid_file = lock_file.with_suffix(".pid")
        self._lock = FileLock(str(lock_file), timeout=0, mode=FILE_MODE)

    def acquire(self, timeout: float = 0) -> None:
        private_dir(self.lock_file.parent)
        try:
            self._lock.acquire(timeout=timeout)
        except Timeout:
            holder = ""
            with contextlib.suppress(OSError):
                holder = self._pid_file.read_text().strip()
            raise AlreadyRunningError(self.lock_file.parent, holder) from None
        with contextlib.suppress(OSError):
            write_private_text(self._pid_file, str(os.getpid()))

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

"""Store work off the GUI thread: one serial executor, results delivered back on the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    """Runs functions one at a time on a worker thread (like Anki's collection executor)."""

    _completed = Signal(object, object, object)  # callback, result, error
    _cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="membank-store")
        self._completed.connect(self._on_completed)
        self._cancelled.connect(self._on_cancelled)
        self._pending = 0
        self._futures: dict[Future[Any], str] = {}  # not yet done -> what it runs

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._pending += 1

        def finished(future: Future[Any]) -> None:
            if future.cancelled():  # shutdown(cancel_futures=True): a normal outcome, no callback
                self._cancelled.emit()
                return
            error = future.exception()
            # Emitting from the worker thread queues the call onto the GUI thread.
            self._completed.emit((on_done, on_error), None if error else future.result(), error)

        future = self._executor.submit(fn)
        self._futures[future] = getattr(fn, "__qualname__", repr(fn))
        future.add_done_callback(lambda f: self._futures.pop(f, None))
        future.add_done_callback(finished)

    @Slot(object, object, object)
    def _on_completed(self, callbacks: Any, result: Any, error: Any) -> None:
        self._pending -= 1
        on_done, on_error = callbacks
        if error is not None:
            if on_error is not None:
                on_error(error)
            else:
                log.error("background task failed", exc_info=error)
        elif on_done is not None:
            on_done(result)

    @Slot()
    def _on_cancelled(self) -> None:
        self._pending -= 1

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Cancel what has not started; wait for the task running now (at most `timeout_s`).
        Returns whether it finished; if not, its thread is left to end on its own."""
        running = dict(self._futures)
        self._executor.shutdown(wait=False, cancel_futures=True)
        # A queued task cancelled here never reaches a worker, so concurrent.futures.wait would
        # never count it done (it waits for CANCELLED_AND_NOTIFIED) and, without a timeout,
        # would wait forever: only the task that had started is waited for.
        started = [f for f in running if not f.cancelled()]
        _, not_done = wait(started, timeout=timeout_s)
        if not_done:
            names = ", ".join(sorted(running[f] for f in not_done))
            log.warning(
                "quitting without waiting for a background task (%.1f s): %s", timeout_s or 0, names
            )
        return not not_done

"""The store's task runner: shutting down with work still queued behind a running task."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from ui.tasks import TaskRunner


def test_shutdown_with_a_queued_task_waits_only_for_the_running_one(qtbot: QtBot) -> None:
    """Under load a refresh can still be queued when a view closes; the queued one is
    cancelled and must not be waited for (concurrent.futures.wait never counts it done)."""
    runner = TaskRunner()
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def running() -> None:
        started.set()
        release.wait(5)
        ran.append("running")

    runner.run(running)
    runner.run(lambda: ran.append("queued"))
    assert started.wait(5)
    threading.Timer(0.2, release.set).start()
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(runner.shutdown()))
    waiter.start()
    waiter.join(10)
    assert not waiter.is_alive(), "shutdown hung on the cancelled task"
    assert result == [True] and ran == ["running"]  # the queued one never ran

"""Screenshots under Xvfb: how many colours make a drawn window, and the screen once drawn."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def distinct_colours(image: QImage) -> int:
    """Colours on a 64-column grid: a blank screen has one or two, a drawn window dozens."""
    step = max(1, image.width() // 64)
    return len(
        {
            image.pixel(x, y)
            for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)
        }
    )


def save_screen_when_drawn(path: Path, at_least: int, limit_ms: int = 30_000) -> None:
    """What the X server shows, saved once it has more than `at_least` colours (or after
    `limit_ms`): on a loaded machine a window can be mapped and not yet painted when the screen
    is grabbed (a clean-clone run saved a black screen with only the tray icon)."""
    screen = QApplication.primaryScreen()
    shot = screen.grabWindow(0)
    for _ in range(limit_ms // 200):
        if distinct_colours(shot.toImage()) > at_least:
            break
        QTest.qWait(200)
        shot = screen.grabWindow(0)
    shot.save(str(path))


def run(app: QApplication, *closers: Callable[[], object]) -> int:
    """The app's event loop, ended after two minutes at most (never hang a test run), then each
    of `closers` called in turn (a task runner's shutdown, the runtime's close); the loop's code."""
    QTimer.singleShot(120_000, app.quit)
    code = app.exec()
    for close in closers:
        close()
    return code

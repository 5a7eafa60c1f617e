"""Run under Xvfb with a tray host (trayer): install the tray icon, save a screenshot (argv[1])."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from app.bootstrap import open_runtime
from tests.ui.xshots import save_screen_when_drawn
from ui.dialogs.quick_capture import QuickCaptureDialog
from ui.resources import app_icon
from ui.shell.main_window import MainWindow
from ui.shell.shutdown import exit_now
from ui.shell.tray import tray_available


def main() -> int:
    out, data = Path(sys.argv[1]), sys.argv[2]
    app = QApplication(sys.argv[:1])
    app.setWindowIcon(QIcon(app_icon()))
    runtime = open_runtime(data, None)
    window = MainWindow(runtime)
    installed = window.install_tray()
    window.show()
    result: dict[str, object] = {"available": tray_available(), "installed": installed}

    def check() -> None:
        result["visible"] = bool(window.tray and window.tray.isVisible())
        window.close()  # close-to-tray: hides, keeps running
        result["hidden_but_running"] = not window.isVisible()
        window.quick_capture()  # from the tray menu's action, with the main window hidden
        dialog = window.dialogs.get(QuickCaptureDialog)
        result["capture_visible"] = bool(dialog and dialog.isVisible())
        if dialog is not None:
            QTest.qWaitForWindowExposed(dialog, 30_000)
        save_screen_when_drawn(out, at_least=3)
        if dialog is not None:
            dialog.hide()
        assert window.tray is not None
        menu = window.tray.contextMenu()
        area = window.tray.geometry()
        menu.popup(area.bottomLeft() if area.isValid() else app.primaryScreen().geometry().center())
        QTimer.singleShot(500, lambda: menu_shot(menu))

    def menu_shot(menu: QMenu) -> None:
        result["menu_visible"] = menu.isVisible()
        result["menu"] = [a.text() for a in menu.actions() if a.text()]  # type: ignore[assignment]
        menu.grab().save(str(out.with_name(out.stem + "-menu.png")))
        print(result, flush=True)
        menu.hide()
        window.quit()

    # Once the models are in: quitting mid-load would (rightly) give up on the load after a few
    # seconds, which is not what this test looks at.
    window.models_loaded.connect(lambda: QTimer.singleShot(300, check))
    QTimer.singleShot(180_000, app.quit)  # never hang a test run
    code = app.exec()
    code = code if all(result.values()) else 3
    if not window.stopped_cleanly:
        exit_now(code)  # as ui/__main__.py does: never tear down a thread still running
    runtime.close()
    return code


if __name__ == "__main__":
    sys.exit(main())

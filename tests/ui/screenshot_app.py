"""Run under a real X server: open the main window, chat once, save a screenshot (argv[1])."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.bootstrap import load_models, open_runtime
from ui.shell.main_window import MainWindow


def main() -> int:
    out, data = Path(sys.argv[1]), sys.argv[2]
    app = QApplication(sys.argv[:1])
    runtime = open_runtime(data, None)
    load_models(runtime)
    runtime.curation.remember("My cat is called Miso")
    runtime.curation.remember("My sister Ana lives in Lisbon")
    window = MainWindow(runtime)
    window.show()

    def shoot() -> None:
        app.processEvents()
        window.grab().save(str(out))  # the rendered widget tree
        screen = app.primaryScreen().grabWindow(0)  # what the X server shows
        screen.save(str(out.with_name(out.stem + "-screen.png")))
        window.close()
        app.quit()

    # Window-level signals: they fire on the GUI thread (the worker's own fire on its thread).
    window.chat.reply_shown.connect(lambda _: QTimer.singleShot(300, shoot))
    window.models_loaded.connect(lambda: window.chat.send("What is my cat called?"))
    QTimer.singleShot(120_000, app.quit)  # never hang a test run
    code = app.exec()
    runtime.close()
    return code


if __name__ == "__main__":
    sys.exit(main())

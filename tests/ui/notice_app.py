"""Runs membank's real `main()` once on a data folder and prints the notice dialogs it showed.

test_privacy_notice runs this in its own process: `main()` sets the process's umask, excepthook,
logging and Qt state, which must not leak into the Qt tests that run after it.
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ui import __main__ as gui


def main() -> int:
    os.umask(0o022)  # the usual desktop umask, which alone would leave files readable by all
    app = QApplication.instance() or QApplication(sys.argv[:1])
    shown: list[str] = []

    def look() -> None:
        shown.extend(
            w.text()
            for w in app.topLevelWidgets()  # type: ignore[union-attr]
            if isinstance(w, QMessageBox) and w.objectName() == "noticeDialog" and w.isVisible()
        )

    QTimer.singleShot(0, look)
    rc = gui.main(["--data-dir", sys.argv[1]])
    print("NOTICES " + json.dumps({"rc": rc, "shown": shown}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`membank`: start the desktop app."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app.bootstrap import open_runtime
from app.cli import add_common_options, now_override
from app.logs import setup_logging
from models.errors import MembankError
from ui.errors import install_excepthook
from ui.main_window import MainWindow
from ui.resources import app_icon


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="membank", description="membank desktop app")
    add_common_options(parser)
    args, qt_args = parser.parse_known_args(argv)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("membank")
    app.setOrganizationName("membank")
    app.setWindowIcon(QIcon(app_icon()))
    try:
        runtime = open_runtime(args.data_dir, now_override(args.now))
    except (MembankError, ValueError) as exc:
        title = getattr(exc, "title", "membank cannot start")
        QMessageBox.critical(None, title, str(exc))
        return 1
    setup_logging(runtime.paths.log_dir)
    install_excepthook()
    window = MainWindow(runtime)
    window.show()
    try:
        return app.exec()
    finally:
        runtime.close()


if __name__ == "__main__":
    sys.exit(main())

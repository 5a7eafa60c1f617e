"""`membank`: start the desktop app."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app.bootstrap import Runtime, open_runtime
from app.config import resolve_paths
from app.instance import AlreadyRunningError
from app.logs import setup_logging
from app.options import add_common_options, now_override
from app.privacy.folders import protect_process
from app.privacy.secrets import known_secrets
from models.errors import MembankError
from ui.dialogs.first_run import WelcomeDialog
from ui.errors import install_excepthook, show_notices
from ui.resources import app_icon
from ui.shell import startup_probe
from ui.shell.main_window import MainWindow
from ui.shell.shutdown import SignalQuit, exit_now
from ui.shell.single_instance import InstanceServer, send_to_running

LOCK_WAIT_S = 15.0


def is_first_run(runtime: Runtime) -> bool:
    """A data folder with nothing in it yet (the page shows until the first memory exists)."""
    return runtime.store.count_memories() == 0 and not runtime.store.conversations()


def main(argv: Sequence[str] | None = None) -> int:
    protect_process()  # owner-only files from here on (README: Privacy on this computer)
    parser = argparse.ArgumentParser(prog="membank", description="membank desktop app")
    add_common_options(parser)
    parser.add_argument(
        "--capture",
        action="store_true",
        help="open quick capture (in the running membank, if there is one)",
    )
    args, qt_args = parser.parse_known_args(argv)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("membank")
    app.setOrganizationName("membank")
    app.setWindowIcon(QIcon(app_icon()))
    try:
        try:
            runtime = open_runtime(args.data_dir, now_override(args.now))
        except AlreadyRunningError:
            # Hand the request to the running instance (any desktop shortcut can bind --capture).
            data_dir = resolve_paths(args.data_dir).data_dir
            if send_to_running(data_dir, "capture" if args.capture else "show"):
                return 0
            # No window answers: membank-mcp (or membank-cli) holds the folder for one call.
            runtime = open_runtime(args.data_dir, now_override(args.now), lock_timeout=LOCK_WAIT_S)
    except AlreadyRunningError as exc:
        QMessageBox.critical(None, exc.title, str(exc))
        return 1
    except (MembankError, ValueError) as exc:
        title = getattr(exc, "title", "membank cannot start")
        QMessageBox.critical(None, title, str(exc))
        return 1
    secrets = known_secrets(runtime.config)
    setup_logging(runtime.paths.log_dir, secrets=secrets)
    install_excepthook(secrets)
    window = MainWindow(runtime)
    SignalQuit(window.quit, window)  # SIGTERM/SIGINT quit cleanly (kept alive by its parent)
    server = InstanceServer(runtime.paths.data_dir, window.handle_request, window.mcp_bridge.handle)
    window.install_tray()
    settings = QSettings()  # window geometry only (STYLE: everything else is config.toml)
    geometry = settings.value("main_window/geometry")
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
    app.aboutToQuit.connect(
        lambda: settings.setValue("main_window/geometry", window.saveGeometry())
    )
    window.show()
    show_notices(window, runtime.notices)  # e.g. the data folder was made private
    probing = startup_probe.install(app, window)  # `membank-cli bench startup` only
    if is_first_run(runtime) and not probing:
        config = runtime.config
        welcome = WelcomeDialog(
            runtime.paths,
            config.llm.model_path or "SmolLM2-135M-Instruct, bundled",
            config.embedder.model_path or "all-MiniLM-L6-v2, bundled",
            window,
            first_run_suggestion(runtime),
        )
        welcome.open()
    if args.capture:
        window.quick_capture()
    code = 1
    try:
        code = app.exec()
    finally:
        server.close()
        if not window.stopped_cleanly:
            exit_now(code)  # a model load would not stop: do not wait for it (logged)
        runtime.close()
    return code


def first_run_suggestion(runtime: Runtime) -> str:
    """A 1.5-4B catalog model this computer fits, while the bundled model is in use ("" if none:
    the welcome page then says nothing about models)."""
    from models.errors import CatalogError
    from models.hub.catalog import load_catalog
    from models.hub.hardware import detect_hardware
    from models.hub.suggest import suggest_chat_model

    llm = runtime.config.llm
    if llm.engine != "local" or llm.model_path:
        return ""  # the user already chose a model
    try:
        found = suggest_chat_model(load_catalog(), detect_hardware())
    except CatalogError:
        return ""
    return found.text() if found else ""


if __name__ == "__main__":
    sys.exit(main())

"""Run under a real X server: a day of chat is consolidated for real, then the persona view, the
settings, quick capture, Connected apps and its Add an app page are opened and each saved as a
PNG in the folder argv[1]. argv[3], if given, is the theme ("light" or "dark"; the files of the
dark one end in "-dark")."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.bootstrap import load_models, open_runtime
from app.config import Config, UIConfig, save_config
from memory.records import Kind
from ui.dialogs.connected_apps import ConnectedAppsDialog
from ui.dialogs.persona_dialog import PersonaDialog
from ui.dialogs.quick_capture import QuickCaptureDialog
from ui.dialogs.settings_dialog import SettingsDialog
from ui.shell.main_window import MainWindow

TURNS = (
    "I moved to Lisbon last spring and I work as a nurse at the children's hospital.",
    "My cat is called Miso and she hates the vacuum cleaner.",
    "I am learning to play the cello; my lesson is every Thursday evening.",
    "I prefer green tea over coffee, especially genmaicha.",
)


def main() -> int:
    folder, data = Path(sys.argv[1]), sys.argv[2]
    theme = sys.argv[3] if len(sys.argv) > 3 else "light"
    suffix = "-dark" if theme == "dark" else ""
    folder.mkdir(parents=True, exist_ok=True)
    Path(data).mkdir(parents=True, exist_ok=True)
    ui = UIConfig(theme=theme)  # type: ignore[arg-type]
    save_config(Path(data) / "config.toml", Config(ui=ui))
    app = QApplication(sys.argv[:1])
    runtime = open_runtime(data, None)
    load_models(runtime)
    bank = runtime.host.models.bank
    assert bank is not None
    start = runtime.clock.now() - timedelta(days=1, hours=3)
    conversation = runtime.store.create_conversation("Getting to know me", start)
    for i, text in enumerate(TURNS):
        when = start + timedelta(minutes=i)
        message = runtime.store.add_message(conversation.id, "user", text, when)
        bank.remember(
            Kind.TURN, text, when, conversation_id=conversation.id, source_message_ids=[message.id]
        )
    result = runtime.jobs().run("daily")  # real consolidation with the bundled model
    print("daily:", result.counts, result.failures, result.error, flush=True)
    window = MainWindow(runtime)
    window.show()
    shots: dict[str, QWidget] = {}

    def save(name: str, widget: QWidget) -> None:
        app.processEvents()
        widget.grab().save(str(folder / f"{name}{suffix}.png"))
        shots[name] = widget

    def persona() -> None:
        window.dialogs.show_persona()
        dialog = window.dialogs.get(PersonaDialog)
        assert dialog is not None
        summary = runtime.curation.overview().summary
        if summary is not None:
            dialog.loaded.connect(lambda: dialog.select(summary.id))
        QTimer.singleShot(1500, lambda: (save("persona", dialog), dialog.close(), settings()))

    def settings() -> None:
        window.dialogs.show_settings()
        dialog = window.dialogs.get(SettingsDialog)
        assert dialog is not None
        QTimer.singleShot(500, lambda: (save("settings", dialog), dialog.close(), capture()))

    def capture() -> None:
        window.quick_capture()
        dialog = window.dialogs.get(QuickCaptureDialog)
        assert dialog is not None
        dialog.edit.setText("Buy cello strings before Thursday")
        QTimer.singleShot(500, lambda: (save("quick-capture", dialog), dialog.close(), apps()))

    def apps() -> None:
        window.show_connected_apps()
        dialog = window.connected_apps_dialog
        QTimer.singleShot(800, lambda: (save("connected-apps", dialog), add_app(dialog)))

    def add_app(apps_dialog: ConnectedAppsDialog) -> None:
        dialog = apps_dialog.add_app()
        dialog.app_combo.setCurrentIndex(0)  # Claude Desktop
        QTimer.singleShot(500, lambda: (save("add-an-app", dialog), finish()))

    def finish() -> None:
        print("saved:", sorted(shots), flush=True)
        window.quit()
        app.quit()

    window.models_loaded.connect(lambda: QTimer.singleShot(300, persona))
    QTimer.singleShot(240_000, app.quit)  # never hang a test run
    app.exec()
    runtime.close()
    return 0 if len(shots) == 5 else 3


if __name__ == "__main__":
    sys.exit(main())

"""Run under a real X server: open People & things on a few months of notes about a sister,
select her, save a PNG of her timeline (argv[1]); argv[3], if given, is the theme."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.bootstrap import load_models, open_runtime
from memory.records import Kind
from tests.ui.xshots import run
from ui.browser.people_view import PeopleView
from ui.tasks import TaskRunner
from ui.theme.apply import apply_theme

# (days ago, note): what a person might tell membank over a few months.
NOTES = (
    (120, "My sister Joanna is starting a new job at Acme in March."),
    (95, "Joanna says Acme is a great place to work, and she got a desk by the window."),
    (60, "I went hiking in Sintra with Jo and her dog Pixel."),
    (30, "My sister wants to run the Lisbon half marathon in October."),
    (12, "Pixel, Joanna's dog, hurt his paw at the beach."),
    (3, "I bought a new bike for the ride to the office."),
)


def main() -> int:
    out, data = Path(sys.argv[1]), sys.argv[2]
    app = QApplication(sys.argv[:1])
    apply_theme(app, sys.argv[3] if len(sys.argv) > 3 else "light")  # type: ignore[arg-type]
    now = datetime.now(UTC)
    runtime = open_runtime(data, None)
    load_models(runtime)
    bank = runtime.host.models.require_bank()
    for days, text in NOTES:  # each note on the day it was told
        bank.remember(Kind.NOTE, text, now - timedelta(days=days))
    tasks = TaskRunner()
    view = PeopleView(runtime.people, tasks)
    view.show()
    listed: list[str] = []

    def shoot(memories: int) -> None:
        print({"listed": listed, "timeline": memories})
        app.processEvents()
        view.grab().save(str(out))
        view.close()
        app.quit()

    def select_sister(_: int) -> None:
        listed.extend(f"{e.name} ({e.kind})" for e in view.entities())
        sister = next(e for e in view.entities() if e.name == "Joanna")
        view.select(sister.id)

    view.timeline_shown.connect(lambda n: QTimer.singleShot(300, lambda: shoot(n)))
    view.loaded.connect(select_sister)
    view.refresh()
    return run(app, tasks.shutdown, runtime.close)


if __name__ == "__main__":
    sys.exit(main())

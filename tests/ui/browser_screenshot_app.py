"""Run under a real X server: open the memory browser on a few notes, select one, save a PNG
(argv[1]); argv[3], if given, is the theme ("light" or "dark")."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.bootstrap import load_models, open_runtime
from tests.ui.xshots import run
from ui.browser.memory_browser import MemoryBrowser
from ui.tasks import TaskRunner
from ui.theme.apply import apply_theme

NOTES = (
    "My cat is called Miso",
    "My sister Ana lives in Lisbon",
    "The dentist appointment is on Friday at nine",
    "I prefer green tea over coffee",
    "The wifi password at the cabin is on the fridge",
)


def main() -> int:
    out, data = Path(sys.argv[1]), sys.argv[2]
    app = QApplication(sys.argv[:1])
    apply_theme(app, sys.argv[3] if len(sys.argv) > 3 else "light")  # type: ignore[arg-type]
    runtime = open_runtime(data, None)
    load_models(runtime)
    for text in NOTES:
        runtime.curation.remember(text)
    miso = next(m for m in runtime.curation.memories() if "Miso" in m.text)
    runtime.curation.set_pinned(miso.id, True)
    found = runtime.curation.search("Where does my sister live?", 3)
    ana = next(r for r in found if "Ana" in r.memory.text)
    assert runtime.host.models.bank is not None
    runtime.host.models.bank.strengthen([ana], runtime.clock.now(), None)
    tasks = TaskRunner()
    browser = MemoryBrowser(runtime.curation, runtime.privacy, tasks)
    browser.show()

    def shoot() -> None:
        app.processEvents()
        browser.grab().save(str(out))
        browser.close()
        app.quit()

    browser.detail_shown.connect(lambda _: QTimer.singleShot(300, shoot))
    browser.loaded.connect(lambda _: browser.select_ids([ana.memory.id]))
    browser.refresh()
    return run(app, tasks.shutdown, runtime.close)


if __name__ == "__main__":
    sys.exit(main())

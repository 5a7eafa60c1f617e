"""Run under a real X server: a reply that missed its memory, with the memory card under it;
save a screenshot (argv[1]). The reply is the bundled model's own, asked the way the old prompt
asked it (identity text, no memory quoted), which is how issue 14's refusals came about."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.bootstrap import load_models, open_runtime
from memory.recall.prompt import SYSTEM_INTRO
from memory.records import Recalled
from tests.ui.xshots import run
from ui.shell.main_window import MainWindow

QUESTION = "Where does my sister live?"


def main() -> int:
    out, data = Path(sys.argv[1]), sys.argv[2]
    app = QApplication(sys.argv[:1])
    runtime = open_runtime(data, None)
    load_models(runtime)
    memory = runtime.curation.remember("My sister Ana lives in Lisbon, near the river.")
    with runtime.host.lease() as models:
        bank, llm = models.require()
        asked = [
            {"role": "system", "content": SYSTEM_INTRO},
            {"role": "user", "content": QUESTION},
        ]
        reply = "".join(llm.stream_chat(asked, max_tokens=60)).strip()
        print(reply)
        conversation = runtime.chat.new_conversation(QUESTION)
        now = runtime.clock.now()
        runtime.store.add_message(conversation.id, "user", QUESTION, now)
        answer = runtime.store.add_message(conversation.id, "assistant", reply, now)
        bank.strengthen([Recalled(memory, 1.0, 0.9, 1.0)], now, answer.id)
    window = MainWindow(runtime)
    window.resize(1100, 640)
    window.show()

    def select() -> None:
        window.refresh_conversations()
        QTimer.singleShot(500, lambda: window.conversations.conversation_list.setCurrentRow(0))
        QTimer.singleShot(1500, shoot)

    def shoot() -> None:
        app.processEvents()
        print(window.chat.transcript.toPlainText())
        window.grab().save(str(out))
        window.close()
        app.quit()

    window.models_loaded.connect(select)
    return run(app, runtime.close)


if __name__ == "__main__":
    sys.exit(main())

"""Run under a real X server: open the main window, chat once, save a screenshot (argv[1]).
argv[3], if given, is the theme ("light" or "dark"); a stored conversation with markdown
(a list, a table, a code block) is opened first so the cards show what they render."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.bootstrap import load_models, open_runtime
from app.config import Config, UIConfig, save_config
from tests.ui.xshots import run, save_screen_when_drawn
from ui.shell.main_window import MainWindow

REPLY = """Here is a small Python script that greets you:

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"  # an f-string

print(greet("Ana"))
```

What it does:

1. defines `greet`,
2. prints the greeting.

| Step | Takes |
|------|-------|
| define | 1 line |
| call | 1 line |

See [the Python tutorial](https://docs.python.org/3/tutorial/) for more."""


def main() -> int:
    out, data = Path(sys.argv[1]), sys.argv[2]
    theme = sys.argv[3] if len(sys.argv) > 3 else "light"
    Path(data).mkdir(parents=True, exist_ok=True)
    save_config(Path(data) / "config.toml", Config(ui=UIConfig(theme=theme)))  # type: ignore[arg-type]
    app = QApplication(sys.argv[:1])
    runtime = open_runtime(data, None)
    load_models(runtime)
    runtime.curation.remember("My cat is called Miso")
    runtime.curation.remember("My sister Ana lives in Lisbon")
    chat = runtime.chat.new_conversation("Python hello world")
    now = runtime.clock.now()
    runtime.store.add_message(chat.id, "user", "Show me a python hello world", now)
    runtime.store.add_message(chat.id, "assistant", REPLY, now)
    window = MainWindow(runtime)
    window.resize(1200, 820)
    window.show()
    window.open_conversation(chat.id)

    def shoot() -> None:
        app.processEvents()
        window.grab().save(str(out))  # the rendered widget tree
        # what the X server shows
        save_screen_when_drawn(out.with_name(out.stem + "-screen.png"), at_least=10)
        window.close()
        app.quit()

    # Window-level signals: they fire on the GUI thread (the worker's own fire on its thread).
    window.chat.reply_shown.connect(lambda _: QTimer.singleShot(300, shoot))
    window.models_loaded.connect(lambda: window.chat.send("What is my cat called?"))
    return run(app, runtime.close)


if __name__ == "__main__":
    sys.exit(main())

"""The first-run page: what membank stores, where, and that nothing leaves this machine."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from app.config import Paths


def welcome_markdown(paths: Paths, chat_model: str, embedder: str, suggestion: str = "") -> str:
    better = (
        f"""
**A better chat model fits this computer:** {suggestion}. The bundled model is tiny, so it
works offline from the first minute, but its answers are often poor; *File → Models* downloads
the suggested one (once, from Hugging Face) and switches to it. Skip this and nothing is
downloaded.
"""
        if suggestion
        else ""
    )
    return f"""# Welcome to membank

membank is a chat assistant that **remembers you**, and runs entirely on this computer.

**What it stores:** every conversation, with its time; the memories made from it (summaries of
each chat and each day, facts about you, a persona describing how you like to be answered); and
which memories each answer used. Memories fade when they are not used, like yours do; pinned ones
never fade.

**Where:** `{paths.data_dir}` (settings: `{paths.config_file}`).

**Nothing leaves this machine.** The chat model ({chat_model}) and the embedding model
({embedder}) run here; membank makes no network connections and sends no telemetry.

**You stay in control:** *Memory → Browse memories* shows everything it remembers; you can pin,
edit or forget any memory (forgetting is complete), pause memory for a private chat, and export
all of it (*File → Export memory*).

Start by typing a message. *File → Quick capture* (Ctrl+Shift+Space) stores a note in two seconds.
{better}"""


class WelcomeDialog(QDialog):
    def __init__(
        self,
        paths: Paths,
        chat_model: str,
        embedder: str,
        parent: QWidget | None = None,
        suggestion: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        self.setWindowTitle("Welcome to membank")
        self.resize(620, 520)
        self.browser = QTextBrowser()
        self.browser.setMarkdown(welcome_markdown(paths, chat_model, embedder, suggestion))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

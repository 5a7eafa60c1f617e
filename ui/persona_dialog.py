"""What membank has distilled about the user: persona, overall summary, insights, facts, days."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from app.service import Day, Overview


def overview_markdown(overview: Overview, days: list[Day]) -> str:
    def text(memory: object) -> str:
        return getattr(memory, "text", None) or "_Nothing yet: it appears after consolidation._"

    parts = [
        "## Persona",
        text(overview.persona),
        "## Overall summary",
        text(overview.summary),
        "## Insights",
        "\n".join(f"- {m.text}" for m in overview.reflections) or "_None yet._",
        "## Facts",
        "\n".join(f"- {m.text} ({m.event_time.astimezone():%d %b %Y})" for m in overview.facts)
        or "_None yet._",
        "## Days",
    ]
    for day in days:
        parts.append(f"**{day.day}** — {text(day.summary)}")
        if day.persona:
            parts.append(f"_Persona that day:_ {day.persona.text}")
    return "\n\n".join(parts)


class PersonaDialog(QDialog):
    def __init__(self, overview: Overview, days: list[Day], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Persona and summaries")
        self.resize(640, 600)
        self.browser = QTextBrowser()
        self.browser.setMarkdown(overview_markdown(overview, days))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

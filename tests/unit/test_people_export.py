"""`export --format markdown`: a section per person, which a text import leaves out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app.transfer.plaintext import read_text_memories, render_markdown, write_markdown
from memory.records import Kind
from tests.unit.fakes import T0, make_bank, say


def test_the_markdown_export_has_a_section_per_person(tmp_path: Path) -> None:
    bank = make_bank(tmp_path / "a")
    try:
        bank.remember(Kind.NOTE, "My sister is starting a new job at Acme.", T0)
        bank.remember(
            Kind.FACT, "The user's sister Joanna lives in Lisbon.", T0 + timedelta(days=2)
        )
        chat = bank.store.create_conversation("chat", T0)
        say(bank, chat.id, "Had lunch with Joanna today.", T0 + timedelta(days=30))
        say(bank, chat.id, "I went hiking in Sintra.", T0 + timedelta(days=31))
        path = tmp_path / "me.md"
        write_markdown(bank.store, path, T0 + timedelta(days=40))
        text = path.read_text(encoding="utf-8")
        people = text.split("## People", 1)[1]
        assert "### Joanna (person)" in people
        assert "> also: my sister" in people
        assert "> - 2026-05-01: My sister is starting a new job at Acme." in people
        assert "> - 2026-05-03: The user's sister Joanna lives in Lisbon." in people
        assert "> named in 1 conversation turns, 2026-05-31 to 2026-05-31" in people
        assert "Sintra" not in people  # a place, not a person
        assert "Had lunch" not in text  # chat turns stay out of the export, as before
        # Quoted: importing the file back takes the fact and the note, nothing of the section.
        assert sorted(m.text for m in read_text_memories(path)) == [
            "My sister is starting a new job at Acme.",
            "The user's sister Joanna lives in Lisbon.",
        ]
        assert render_markdown(bank.store, T0 + timedelta(days=40)) == text  # stable
    finally:
        bank.close()
        bank.store.close()

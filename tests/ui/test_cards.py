"""Message cards: markdown rendered, what a message says never becomes markup, code blocks
kept for "Copy code", and a finished message rendered once."""

from __future__ import annotations

from datetime import UTC, datetime

from memory.records import Message
from ui.chat import cards, transcript
from ui.theme.palette import DARK, LIGHT

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _message(i: int, role: str, text: str) -> Message:
    return Message(i, 1, role, text, T0)


def test_markup_in_a_message_is_shown_as_text_not_run() -> None:
    renderer = cards.CardRenderer()
    html = renderer.message(
        _message(1, "user", '<a href="memory:x">click</a> <img src="x">'), "", LIGHT, last=False
    )
    assert '<a href="memory:x">' not in html and "&lt;a href=" in html
    assert '<img src="x">' not in html


def test_code_blocks_are_highlighted_kept_and_offered_for_copying() -> None:
    renderer = cards.CardRenderer()
    text = "Two:\n\n```python\nx = 1\n```\n\n```\nplain\n```"
    html = renderer.message(_message(7, "assistant", text), "q", DARK, last=True)
    assert renderer.code_blocks[7] == ["x = 1", "plain"]
    assert f"{cards.COPY_CODE}:7:0" in html and f"{cards.COPY_CODE}:7:1" in html
    assert DARK.code_bg in html and "color:" in html  # Pygments' inline colours
    assert f"{transcript.REGENERATE}:7" in html  # the last reply offers Regenerate


def test_user_and_assistant_cards_differ_at_a_glance() -> None:
    renderer = cards.CardRenderer()
    mine = renderer.message(_message(1, "user", "hi"), "", LIGHT, last=False)
    reply = renderer.message(_message(2, "assistant", "hello"), "hi", LIGHT, last=False)
    assert LIGHT.user_card in mine and LIGHT.user_card not in reply
    assert mine.index('width="12%"') < mine.index(LIGHT.user_card)  # pushed to the right
    assert reply.index(LIGHT.assistant_card) < reply.index('width="12%"')
    assert 'title="' in mine  # the date and time on hover


def test_a_finished_message_is_rendered_once() -> None:
    renderer = cards.CardRenderer()
    calls = []
    real = renderer.markdown.render
    renderer.markdown.render = lambda *a: calls.append(a) or real(*a)  # type: ignore[method-assign]
    message = _message(3, "assistant", "**bold**")
    first = renderer.message(message, "", LIGHT, last=False)
    assert renderer.message(message, "", LIGHT, last=False) == first
    assert len(calls) == 1
    assert renderer.message(message, "", DARK, last=False) != first  # the theme changed


def test_a_reply_cannot_forge_the_windows_action_links() -> None:
    renderer = cards.CardRenderer()
    text = "[open](memory:abc) [copy](copy:1) [web](https://example.org)"
    html = renderer.message(_message(4, "assistant", text), "", LIGHT, last=False)
    assert 'href="memory:abc"' not in html and 'href="copy:1"' not in html
    assert 'href="https://example.org"' in html

"""A conversation as HTML message cards for the chat view: the user's on the right in the
accent tint, membank's on the left; markdown (code with highlighting and a copy link, tables,
lists, links); actions and used-memory chips. Pure Python (the palette is passed in), so a
1,000-message conversation is rendered once per message and cached."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from memory.records import Memory, Message
from ui.chat import transcript
from ui.theme.palette import Palette

COPY_CODE = "copycode"  # "copycode:<message id>:<n>": the n-th code block of a message
ICON_PX = 16
WEB_SCHEMES = ("http://", "https://", "mailto:")
_CARD_LINK = re.compile(r'<a href="([^"]+)">([^<]*)</a>')


def when_text(when: datetime) -> str:
    return when.astimezone().strftime("%A %d %B %Y, %H:%M")


@dataclass
class _Env:
    message_id: int
    palette: Palette
    blocks: list[str]


class MarkdownRenderer:
    """CommonMark with tables and strikethrough; raw HTML in a message is shown as text."""

    def __init__(self) -> None:
        # Built on first use: importing markdown-it (~0.2 s) stays off the start-up path. (Run on
        # the store thread at start it once hung a quit test for a minute: not worth it.)
        self._md: Any = None

    def _parser(self) -> Any:
        if self._md is None:
            from markdown_it import MarkdownIt

            md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
            md.enable(["table", "strikethrough"])
            # Only web and mail links from a message: a reply must not forge the window's own
            # action links (copy:, memory:, regenerate: …).
            md.validateLink = lambda url: url.strip().lower().startswith(WEB_SCHEMES)
            md.add_render_rule("fence", self._fence)
            md.add_render_rule("code_block", self._fence)
            self._md = md
        return self._md

    def render(self, text: str, message_id: int, palette: Palette) -> tuple[str, list[str]]:
        """(html, the message's code blocks in order, for "Copy code")."""
        env = _Env(message_id, palette, [])
        out = self._parser().render(text, {"membank": env})
        if "<table>" in out:  # markdown tables: ruled cells (code blocks are tables too, styled)
            out = out.replace(
                "<table>",
                f'<table cellspacing="0" cellpadding="5" border="1" '
                f'style="border-collapse: collapse; border-color: {palette.border}; '
                f'margin-top: 4px; margin-bottom: 6px;">',
            )
        return out, env.blocks

    @staticmethod
    def _fence(_self: Any, tokens: Any, idx: int, _options: Any, env: dict[str, Any]) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import TextLexer, get_lexer_by_name
        from pygments.util import ClassNotFound

        token = tokens[idx]
        state: _Env = env["membank"]
        p = state.palette
        code = token.content.rstrip("\n")
        n = len(state.blocks)
        state.blocks.append(code)
        lang = (token.info or "").strip().split(" ")[0]
        try:
            lexer = get_lexer_by_name(lang) if lang else TextLexer()
        except ClassNotFound:
            lexer = TextLexer()
        formatter = HtmlFormatter(nowrap=True, noclasses=True, style=p.pygments_style)
        body = highlight(code, lexer, formatter)
        copy = _link(f"{COPY_CODE}:{state.message_id}:{n}", "Copy code", p, icon="copy", muted=True)
        label = html.escape(lang) if lang else "code"
        return (
            f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{p.code_bg}" '
            f'style="margin-top:4px; margin-bottom:6px; border: 1px solid {p.border};">'
            f'<tr><td><span style="color:{p.text_muted};">{label}</span>&nbsp;&nbsp;{copy}'
            f'<pre style="font-family:{_MONO}; color:{p.text};">{body}</pre></td></tr></table>'
        )


_MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"


TIPS = {
    "copy": "Copy this message to the clipboard",
    "remember": "Store this message as a note membank will remember",
    "regenerate": "Answer the last message again (Ctrl+R)",
}


def _link(href: str, text: str, p: Palette, *, icon: str = "", muted: bool = False) -> str:
    colour = p.text_muted if muted else p.link
    image = (
        f'<img src="icon:{icon}" width="{ICON_PX}" height="{ICON_PX}" '
        f'style="vertical-align:middle;">&nbsp;'
        if icon
        else ""
    )
    tip = TIPS.get(href.partition(":")[0], "")
    title = f' title="{html.escape(tip)}"' if tip else ""
    return (
        f'<a href="{html.escape(href)}"{title} style="color:{colour}; text-decoration:none;">'
        f"{image}{html.escape(text)}</a>"
    )


def chip(memory: Memory, p: Palette) -> str:
    text = " ".join(memory.text.split())
    if len(text) > transcript.CHIP_CHARS:
        text = text[: transcript.CHIP_CHARS - 1].rstrip() + "…"
    return (
        f'<a href="{transcript.MEMORY}:{html.escape(memory.id)}" '
        f'style="color:{p.chip_text}; background-color:{p.chip_bg}; text-decoration:none;">'
        f"&nbsp;◆ {html.escape(text)}&nbsp;</a>"
    )


class CardRenderer:
    """One message as a card; each finished message's HTML is cached (by id, text, theme)."""

    def __init__(self) -> None:
        self.markdown = MarkdownRenderer()
        self._cache: dict[tuple[int, str, bool, bool, str], str] = {}
        self.code_blocks: dict[int, list[str]] = {}

    def message(self, message: Message, question: str, p: Palette, *, last: bool) -> str:
        key = (message.id, message.text, last, bool(question), p.scheme)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._render(message, question, p, last=last)
            if message.id > 0:  # paused-mode messages have no stable id
                self._cache[key] = cached
        return cached

    def _render(self, message: Message, question: str, p: Palette, *, last: bool) -> str:
        body, blocks = self.markdown.render(message.text, message.id, p)
        self.code_blocks[message.id] = blocks
        user = message.role == "user"
        actions = [
            _link(f"{transcript.COPY}:{message.id}", "Copy", p, icon="copy"),
            _link(f"{transcript.REMEMBER}:{message.id}", "Remember this", p, icon="remember"),
        ]
        if last and not user:
            actions.append(
                _link(f"{transcript.REGENERATE}:{message.id}", "Regenerate", p, icon="regenerate")
            )
        extra = ""
        used = message.used_memories
        if not user and used:
            noun = "memory" if len(used) == 1 else "memories"
            extra += (
                f'<p style="margin-top:6px;">'
                f"{_link(f'{transcript.REPLY_LINK}{message.id}', f'{len(used)} {noun} used', p)}"
                f"&nbsp;&nbsp;{'&nbsp; '.join(chip(m, p) for m in used)}</p>"
            )
            if question:
                extra += self._reply_check(question, message, p)
        return card_html_for(
            "You" if user else "membank",
            when_text(message.created_at),
            body + extra,
            "&nbsp;&nbsp;&nbsp;".join(actions),
            p,
            user=user,
        )

    def _reply_check(self, question: str, message: Message, p: Palette) -> str:
        """The reply-check card (transcript.memory_card: markdown, a quote whose ◆ link opens
        the memory), as a tinted box under the reply."""
        card = transcript.memory_card(question, message).strip()
        if not card:
            return ""
        found = _CARD_LINK.search(card)
        link, after = "", ""
        if found:  # the memory's date and words: our own link (replies render web links only)
            link = _link(html.unescape(found.group(1)), html.unescape(found.group(2)), p)
            card, after = card[: found.start()], card[found.end() :]
        body, _ = self.markdown.render(card.lstrip("> ").strip(), message.id, p)
        body = body.replace("<p>", "", 1).replace("</p>", "", 1).rstrip()
        body = f"{body} {link}" if link else body
        if after.strip():
            rest, _ = self.markdown.render(after.strip(), message.id, p)
            body += " " + rest.replace("<p>", "", 1).replace("</p>", "", 1)
        return (
            f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{p.chip_bg}" '
            f'style="margin-top:6px;"><tr><td style="color:{p.chip_text};">'
            f"{body}</td></tr></table>"
        )

    def streaming(self, text: str, p: Palette) -> str:
        body, _ = self.markdown.render(text or "…", 0, p)
        return card_html_for("membank · typing…", "", body, "", p, user=False)


def card_html_for(who: str, when: str, body: str, actions: str, p: Palette, *, user: bool) -> str:
    """The card: a one-cell table (QTextDocument draws cell backgrounds and padding), with a
    spacer column that pushes the user's cards right and membank's left."""
    bg = p.user_card if user else p.assistant_card
    head = f'<p style="margin:0;"><b title="{html.escape(when)}">{html.escape(who)}</b></p>'
    foot = f'<p style="margin-top:6px;">{actions}</p>' if actions else ""
    cell = (
        f'<td bgcolor="{bg}" style="border: 1px solid {p.border}; color:{p.text};">'
        f"{head}{body}{foot}</td>"
    )
    spacer = '<td width="12%"></td>'
    row = spacer + cell if user else cell + spacer
    return (
        f'<table width="100%" cellspacing="0" cellpadding="10" style="margin-bottom:10px;">'
        f"<tr>{row}</tr></table>"
    )


def conversation(
    renderer: CardRenderer,
    messages: Sequence[Message],
    p: Palette,
    *,
    can_regenerate: bool = True,
) -> list[str]:
    """Every message's card, in order."""
    cards = []
    for i, message in enumerate(messages):
        last = i == len(messages) - 1 and can_regenerate
        previous = messages[i - 1] if i else None
        question = previous.text if previous is not None and previous.role == "user" else ""
        cards.append(renderer.message(message, question, p, last=last))
    return cards

"""The chat transcript: message cards in a QTextBrowser. A finished message is rendered once;
while a reply streams only its own card is replaced (no whole-document reset, so nothing
flickers or jumps), and the view follows the reply only if the reader is at the bottom."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QUrl
from PySide6.QtGui import QHelpEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import QLabel, QTextBrowser, QToolTip, QVBoxLayout, QWidget

from memory.records import Message
from ui.chat import cards
from ui.theme import apply as theme
from ui.theme import icons

EARLIER = "earlier:"  # a link at the top: show more of a long conversation
PAGE = 150  # messages shown at first (and added per "Show earlier"): opening stays fast
ACTION_ICONS = ("copy", "remember", "regenerate", "memory")
EMPTY_TEXT = (
    "<h3>Start a conversation</h3>"
    "<p>Type below and press Enter. membank answers with a local model and remembers what "
    "you tell it about yourself; the memories a reply used show under it and on the right.</p>"
    "<p>Tell it a few things (“I live in Lyon”, “my sister is Ana”), or press "
    "<b>Ctrl+Shift+M</b> to remember a note directly.</p>"
)


class TranscriptView(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.setOpenLinks(False)
        self.renderer = cards.CardRenderer()
        self.shown = PAGE
        self._stream_at: int | None = None
        self.empty = QLabel(EMPTY_TEXT, self.viewport())
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self.viewport())
        layout.addStretch(1)
        layout.addWidget(self.empty)
        layout.addStretch(2)
        self._icons()

    def _icons(self) -> None:
        p = theme.current()
        ratio = self.devicePixelRatioF()
        doc = self.document()
        for name in ACTION_ICONS:
            colour = p.text_muted
            image = icons.image(name, colour, cards.ICON_PX, ratio)
            doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"icon:{name}"), image)

    def show_messages(
        self, messages: Sequence[Message], streaming: str | None, *, can_regenerate: bool
    ) -> None:
        """The whole conversation (after a reply finished, or another one was opened)."""
        p = theme.current()
        follow = self._at_bottom()
        hidden = max(0, len(messages) - self.shown)
        parts = []
        if hidden:
            parts.append(
                f'<p align="center"><a href="{EARLIER}" style="color:{p.link};">'
                f"Show {min(hidden, PAGE)} earlier messages ({hidden} not shown)</a></p>"
            )
        parts += cards.conversation(
            self.renderer,
            messages[hidden:],
            p,
            can_regenerate=can_regenerate and streaming is None,
        )
        self._icons()
        self.setHtml("".join(parts))
        self._stream_at = None
        if streaming is not None:
            cursor = QTextCursor(self.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            self._stream_at = cursor.position()
            cursor.insertHtml(self.renderer.streaming(streaming, p))
        self.empty.setVisible(not messages and streaming is None)
        if follow or streaming is not None:
            self._to_bottom()

    def show_streaming(self, text: str) -> None:
        """Replace the streaming reply's card only."""
        if self._stream_at is None:
            return
        follow = self._at_bottom()
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._stream_at)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertHtml(self.renderer.streaming(text, theme.current()))
        if follow:
            self._to_bottom()

    @property
    def stream_start(self) -> int | None:
        """Where the streaming reply's card begins in the document (None: nothing streams)."""
        return self._stream_at

    def show_earlier(self) -> None:
        self.shown += PAGE

    def code_block(self, message_id: int, n: int) -> str | None:
        blocks = self.renderer.code_blocks.get(message_id, [])
        return blocks[n] if 0 <= n < len(blocks) else None

    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 8

    def _to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Hover a name for the message's date and time (the HTML `title` of the card head)."""
        if isinstance(event, QHelpEvent) and event.type() == QEvent.Type.ToolTip:
            tip = self.cursorForPosition(event.pos()).charFormat().toolTip()
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

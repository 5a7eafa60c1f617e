"""Icons drawn from SVG in the palette's colours at the screen's pixel ratio (crisp on HiDPI,
and right in light and dark): for buttons and for the transcript's action links."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

_PATHS = {
    # 24x24 strokes, in the style of Lucide/Feather (drawn here, no icon font to ship)
    "copy": '<rect x="9" y="9" width="12" height="12" rx="2"/>'
    '<path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1"/>',
    "remember": '<path d="M19 21l-7-5-7 5V5a2 2 0 0 1 2-2h10a2 2 0 0 1 2 2z"/>',
    "regenerate": '<path d="M21 12a9 9 0 1 1-3-6.7L21 8"/><path d="M21 3v5h-5"/>',
    "send": '<path d="M22 2L11 13"/><path d="M22 2l-7 20-4-9-9-4 20-7z"/>',
    "stop": '<rect x="6" y="6" width="12" height="12" rx="2"/>',
    "memory": '<path d="M12 2l3 7 7 3-7 3-3 7-3-7-7-3 7-3z"/>',
    "new": '<path d="M12 5v14M5 12h14"/>',
}


def svg(name: str, colour: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
        f'stroke="{colour}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
        f"{_PATHS[name]}</svg>"
    ).encode()


def image(name: str, colour: str, px: int, ratio: float) -> QImage:
    """`px` logical pixels square, drawn at `ratio` device pixels per logical one."""
    side = max(1, round(px * ratio))
    img = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    QSvgRenderer(QByteArray(svg(name, colour))).render(painter, QRectF(0, 0, side, side))
    painter.end()
    img.setDevicePixelRatio(ratio)
    return img


def icon(name: str, colour: str) -> QIcon:
    """A QIcon with 1x, 2x and 3x pixmaps, so Qt picks the one the screen needs."""
    result = QIcon()
    for ratio in (1.0, 2.0, 3.0):
        result.addPixmap(QPixmap.fromImage(image(name, colour, 16, ratio)))
    return result

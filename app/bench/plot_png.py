"""A dependency-free line chart as PNG (zlib only): axes, grid, tick numbers in a 3x5 font."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

Color = tuple[int, int, int]
_FONT = {  # 3x5 glyphs, rows top to bottom, bits left to right
    "0": (7, 5, 5, 5, 7),
    "1": (2, 6, 2, 2, 7),
    "2": (7, 1, 7, 4, 7),
    "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1),
    "5": (7, 4, 7, 1, 7),
    "6": (7, 4, 7, 5, 7),
    "7": (7, 1, 1, 1, 1),
    "8": (7, 5, 7, 5, 7),
    "9": (7, 5, 7, 1, 7),
    ".": (0, 0, 0, 0, 2),
    "-": (0, 0, 7, 0, 0),
    " ": (0, 0, 0, 0, 0),
}


class Canvas:
    def __init__(self, width: int, height: int, background: Color = (255, 255, 255)) -> None:
        self.width, self.height = width, height
        self.pixels = [bytearray(bytes(background) * width) for _ in range(height)]

    def dot(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[y][3 * x : 3 * x + 3] = bytes(color)

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Color, thick: int = 1) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            x = round(x0 + (x1 - x0) * i / steps)
            y = round(y0 + (y1 - y0) * i / steps)
            for dx in range(thick):
                for dy in range(thick):
                    self.dot(x + dx, y + dy, color)

    def text(self, x: int, y: int, text: str, color: Color, scale: int = 2) -> None:
        for n, char in enumerate(text):
            for row, bits in enumerate(_FONT.get(char, _FONT[" "])):
                for col in range(3):
                    if bits & (4 >> col):
                        for sx in range(scale):
                            for sy in range(scale):
                                self.dot(
                                    x + (n * 4 + col) * scale + sx, y + row * scale + sy, color
                                )

    def save(self, path: Path) -> None:
        raw = b"".join(b"\x00" + bytes(row) for row in self.pixels)

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        path.write_bytes(
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / count or 1.0
    return [low + step * i for i in range(count + 1)]


def line_chart(
    path: Path,
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    band: tuple[float, float] | None = None,
    size: tuple[int, int] = (900, 420),
) -> None:
    """`ys` against `xs`; `band` (low, high) shaded behind the line. Tick numbers only: the
    caption next to the image names the axes."""
    width, height = size
    left, right, top, bottom = 70, 20, 20, 40
    canvas = Canvas(width, height)
    x_lo, x_hi = min(xs), max(xs)
    y_lo = min([*ys, *(band or ())])
    y_hi = max([*ys, *(band or ())])
    pad = (y_hi - y_lo) * 0.1 or 1.0
    y_lo, y_hi = y_lo - pad, y_hi + pad

    def px(x: float) -> int:
        return left + round((x - x_lo) / ((x_hi - x_lo) or 1) * (width - left - right))

    def py(y: float) -> int:
        return (
            height
            - bottom
            - int(round((y - y_lo) / ((y_hi - y_lo) or 1) * (height - top - bottom)))
        )

    if band is not None:
        for row in range(py(band[1]), py(band[0]) + 1):
            canvas.line(left, row, width - right, row, (222, 236, 222))
    grey, black = (220, 220, 220), (0, 0, 0)
    for y in _ticks(y_lo, y_hi):
        canvas.line(left, py(y), width - right, py(y), grey)
        canvas.text(4, py(y) - 5, f"{y:.0f}", black)
    for x in _ticks(x_lo, x_hi):
        canvas.line(px(x), top, px(x), height - bottom, grey)
        label = f"{x:.0f}"
        canvas.text(min(px(x) - 12, width - 8 * len(label) - 2), height - bottom + 8, label, black)
    canvas.line(left, top, left, height - bottom, black)
    canvas.line(left, height - bottom, width - right, height - bottom, black)
    points = [(px(x), py(y)) for x, y in zip(xs, ys, strict=True)]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        canvas.line(x0, y0, x1, y1, (31, 119, 180), thick=2)
    canvas.save(path)

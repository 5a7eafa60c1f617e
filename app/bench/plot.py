"""Charts for benchmark reports, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def line_chart(
    path: Path,
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    band: tuple[float, float] | None = None,
    labels: tuple[str, str] = ("", ""),
    size: tuple[int, int] = (900, 420),
) -> None:
    """`ys` against `xs` as a PNG of `size` pixels; `band` (low, high) shaded behind the line;
    `labels`: the x and y axis titles."""
    from matplotlib.figure import Figure  # bench-only dependency: imported when drawing

    dpi = 100
    figure = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, layout="tight")
    axes = figure.add_subplot()
    if band is not None:
        axes.axhspan(band[0], band[1], color="#dcecdc", label="range after warm-up")
    axes.plot(list(xs), list(ys), color="#1f77b4", linewidth=1.8)
    axes.set_xlabel(labels[0])
    axes.set_ylabel(labels[1])
    axes.grid(True, color="#dddddd")
    if band is not None:
        axes.legend(loc="lower right")
    figure.savefig(path, format="png", dpi=dpi)

"""The colours and type sizes of membank's window, light and dark, in one place (no Qt here:
`ui/theme/apply.py` turns them into a QPalette and a style sheet)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scheme = Literal["light", "dark"]


@dataclass(frozen=True)
class Palette:
    scheme: Scheme
    window: str  # the window's background
    surface: str  # panes, lists, inputs
    surface_alt: str  # alternate rows, hovered items
    border: str
    text: str
    text_muted: str  # dates, hints, axis labels
    accent: str  # buttons, selection, links
    accent_text: str  # text on the accent colour
    link: str
    user_card: str  # the user's messages
    assistant_card: str  # membank's replies
    code_bg: str
    chip_bg: str  # used-memory chips
    chip_text: str
    danger: str  # memory paused, errors
    bands: tuple[str, str, str, str]  # timeline: retention >= 75%, 40-75%, < 40%, faded
    pygments_style: str  # code highlighting in replies


LIGHT = Palette(
    scheme="light",
    window="#f6f7f9",
    surface="#ffffff",
    surface_alt="#eef1f5",
    border="#d5dae1",
    text="#1d2329",
    text_muted="#5f6b7a",
    accent="#3b63d6",
    accent_text="#ffffff",
    link="#2f55c4",
    user_card="#e3ebff",
    assistant_card="#ffffff",
    code_bg="#f1f3f6",
    chip_bg="#e9e4fb",
    chip_text="#3c2d86",
    danger="#b02a37",
    bands=("#2e7d32", "#9e9d24", "#ef6c00", "#9e9e9e"),
    pygments_style="friendly",
)

DARK = Palette(
    scheme="dark",
    window="#17191d",
    surface="#1f2228",
    surface_alt="#272b33",
    border="#363b45",
    text="#e6e8eb",
    text_muted="#9aa3ae",
    accent="#6c8cff",
    accent_text="#0f1220",
    link="#8fa8ff",
    user_card="#25335a",
    assistant_card="#22262d",
    code_bg="#15171b",
    chip_bg="#3a3163",
    chip_text="#ddd5ff",
    danger="#e05563",
    bands=("#66bb6a", "#d4d050", "#ffa040", "#7d838c"),
    pygments_style="monokai",
)


@dataclass(frozen=True)
class TypeScale:
    """Point sizes relative to the desktop's base font (which the user chose)."""

    small: float = 0.85  # dates, chips, action labels
    body: float = 1.0
    heading: float = 1.25  # pane titles, empty-state headings
    mono: str = "DejaVu Sans Mono, Menlo, Consolas, monospace"


TYPE = TypeScale()


def palette_for(scheme: Scheme) -> Palette:
    return DARK if scheme == "dark" else LIGHT

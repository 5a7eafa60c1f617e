"""Applying the palette: Fusion, a QPalette and one style sheet for every widget and dialog;
following the desktop's light/dark setting (Qt 6.5+ `QStyleHints.colorScheme`) unless the
user chose one. Charts and the transcript read `current()` and repaint on a palette change."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.config import Theme
from ui.theme.palette import TYPE, Palette, Scheme, palette_for

MIN_POINT_SIZE = 10.0  # readable on a HiDPI laptop; the desktop's font wins when larger
PALETTE_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


def system_scheme() -> Scheme:
    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


def resolve(mode: Theme) -> Scheme:
    return system_scheme() if mode == "system" else mode


def current() -> Palette:
    """The palette in effect, judged from the application's (so a widget needs no handle)."""
    window = QApplication.palette().color(QPalette.ColorRole.Window)
    return palette_for("dark" if window.lightness() < 128 else "light")


def qpalette(p: Palette) -> QPalette:
    pal = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, p.window),
        (roles.WindowText, p.text),
        (roles.Base, p.surface),
        (roles.AlternateBase, p.surface_alt),
        (roles.Text, p.text),
        (roles.PlaceholderText, p.text_muted),
        (roles.Button, p.surface_alt),
        (roles.ButtonText, p.text),
        (roles.Highlight, p.accent),
        (roles.HighlightedText, p.accent_text),
        (roles.Link, p.link),
        (roles.LinkVisited, p.link),
        (roles.ToolTipBase, p.surface),
        (roles.ToolTipText, p.text),
        (roles.BrightText, p.danger),
        (roles.Mid, p.border),
        (roles.Dark, p.border),
    ):
        pal.setColor(role, QColor(colour))
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(p.text_muted))
    return pal


def style_sheet(p: Palette) -> str:
    return f"""
QPushButton {{
  background: {p.surface_alt}; color: {p.text}; border: 1px solid {p.border};
  border-radius: 6px; padding: 5px 14px; min-height: 1.4em;
}}
QPushButton:hover {{ border-color: {p.accent}; }}
QPushButton:disabled {{ color: {p.text_muted}; }}
QPushButton#sendButton {{ background: {p.accent}; color: {p.accent_text}; border: none; }}
QPushButton#sendButton:disabled {{ background: {p.surface_alt}; color: {p.text_muted}; }}
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox, QDoubleSpinBox, QTimeEdit, QComboBox {{
  background: {p.surface}; color: {p.text}; border: 1px solid {p.border};
  border-radius: 6px; padding: 4px;
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus {{ border-color: {p.accent}; }}
QListView, QListWidget, QTableView, QTableWidget, QTreeView {{
  background: {p.surface}; color: {p.text}; border: 1px solid {p.border}; border-radius: 6px;
  alternate-background-color: {p.surface_alt};
}}
QListView::item, QListWidget::item {{ padding: 6px 4px; }}
QListView::item:selected, QListWidget::item:selected {{
  background: {p.accent}; color: {p.accent_text}; border-radius: 4px;
}}
QHeaderView::section {{
  background: {p.surface_alt}; color: {p.text}; border: none;
  border-bottom: 1px solid {p.border}; padding: 4px 6px;
}}
QTextBrowser#transcript {{ background: {p.window}; border: none; }}
QLabel#paneTitle {{ font-weight: bold; font-size: {TYPE.heading}em; }}
QLabel#emptyState {{ color: {p.text_muted}; padding: 12px; }}
QLabel#pausedBadge {{
  background: {p.danger}; color: white; border-radius: 4px; font-weight: bold; padding: 2px 8px;
}}
QSplitter::handle {{ background: {p.window}; }}
QStatusBar {{ color: {p.text_muted}; }}
QToolTip {{ background: {p.surface}; color: {p.text}; border: 1px solid {p.border}; }}
QTabWidget::pane {{ border: 1px solid {p.border}; border-radius: 6px; }}
QTabBar::tab {{
  background: {p.surface_alt}; color: {p.text}; padding: 6px 12px; border: 1px solid {p.border};
  border-bottom: none; border-top-left-radius: 6px; border-top-right-radius: 6px;
}}
QTabBar::tab:selected {{ background: {p.surface}; }}
"""


def apply_theme(app: QApplication, mode: Theme) -> Palette:
    """Fusion with our palette and style sheet (Fusion draws the same on every desktop)."""
    p = palette_for(resolve(mode))
    app.setStyle("Fusion")
    font = app.font()
    if font.pointSizeF() < MIN_POINT_SIZE:
        font.setPointSizeF(MIN_POINT_SIZE)
        app.setFont(font)
    app.setPalette(qpalette(p))
    app.setStyleSheet(style_sheet(p))
    return p


class ThemeFollower(QObject):
    """Keeps the application's theme as the user chose, or as the desktop's when "system"."""

    def __init__(self, app: QApplication, mode: Theme, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.mode: Theme = mode
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_changed)
        self.palette = apply_theme(app, mode)

    def set_mode(self, mode: Theme) -> None:
        if mode != self.mode:
            self.mode = mode
            self.palette = apply_theme(self.app, mode)

    def _on_system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.mode == "system":
            self.palette = apply_theme(self.app, "system")

"""Colours and the small style sheet, derived from the desktop's palette (light or dark): status chips, the
new-client callout, page headers, hints and problems."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

# (background, text) per lander status: calm for the pipeline, warm for what needs a person. A chip paints its
# own background, so the pair reads the same on a light or a dark table.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "in_production": ("#e8eaed", "#3c4043"),
    "ready": ("#d2e3fc", "#174ea6"),
    "queued": ("#e9d7fe", "#5b2b9a"),
    "integrated": ("#ceead6", "#0d652d"),
    "confirmed": ("#a8dab5", "#0b5123"),
    "needs_info": ("#feefc3", "#8a4b00"),
    "failed": ("#fad2cf", "#a50e0e"),
    "paused": ("#f1f3f4", "#5f6368"),
    "archived": ("#f8f9fa", "#80868b"),
}
# A translucent warm tint (ARGB): it lies over the table's own base colour, light or dark, and the text keeps
# the palette's colour.
NEW_CLIENT_BACKGROUND = "#38f29900"
NEW_CLIENT_TEXT = "#b06000"


def is_dark(palette: QPalette) -> bool:
    """Whether the palette is a dark one (light text on dark windows)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def problem_colour(palette: QPalette) -> QColor:
    """The colour of an error sentence, readable on the palette's window."""
    return QColor("#f28b82" if is_dark(palette) else "#a50e0e")


def warning_colour(palette: QPalette) -> QColor:
    """The colour of a warning, readable on the palette's window."""
    return QColor("#fdd663" if is_dark(palette) else "#8a4b00")


def muted_colour(palette: QPalette) -> QColor:
    """The colour of a hint: the palette's placeholder text."""
    return palette.color(QPalette.ColorRole.PlaceholderText)


def style_sheet(palette: QPalette) -> str:
    """The app's style sheet for a palette: every colour comes from it (or is a tint that suits it)."""
    dark = is_dark(palette)
    window = palette.color(QPalette.ColorRole.Window)
    nav = window.lighter(118) if dark else window.darker(104)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    selected = QColor(highlight)
    selected.setAlpha(90 if dark else 60)
    border = palette.color(QPalette.ColorRole.Mid)
    header = palette.color(QPalette.ColorRole.Button)
    text = palette.color(QPalette.ColorRole.WindowText)
    callout_bg, callout_border, callout_text = (("#3a2c12", "#7a5a1e", "#fcd9a4") if dark
                                                else ("#fff4e5", "#f9c98b", "#7a4100"))

    def rgba(colour: QColor) -> str:
        return f"rgba({colour.red()}, {colour.green()}, {colour.blue()}, {colour.alpha()})"

    return f"""
QListWidget#navigation {{ border: none; background: {nav.name()}; font-size: 13px; padding-top: 6px; outline: 0; }}
QListWidget#navigation::item {{ padding: 7px 10px; border-radius: 6px; margin: 1px 6px; color: {text.name()}; }}
QListWidget#navigation::item:selected {{ background: {rgba(selected)}; color: {text.name()}; }}
QLabel[role="page-title"] {{ font-size: 18px; font-weight: 600; padding: 2px 0 6px 0; color: {text.name()}; }}
QLabel[role="hint"] {{ color: {muted_colour(palette).name()}; }}
QLabel[role="problem"] {{ color: {problem_colour(palette).name()}; }}
QFrame#callout {{ background: {callout_bg}; border: 1px solid {callout_border}; border-radius: 6px; }}
QFrame#callout QLabel {{ color: {callout_text}; }}
QToolButton[popupMode="2"] {{ padding-right: 16px; }}
QToolButton[popupMode="2"]::menu-indicator {{ subcontrol-origin: padding; subcontrol-position: center right;
                                             right: 3px; }}
QTableView {{ gridline-color: {border.name()}; }}
QHeaderView {{ font-weight: 600; }}  /* the header measures and elides titles in the weight they are drawn in */
QHeaderView::section {{ background: {header.name()}; color: {palette.color(QPalette.ColorRole.ButtonText).name()};
                       border: none; border-bottom: 1px solid {border.name()}; padding: 4px 6px; font-weight: 600; }}
"""


def apply_theme(app) -> None:  # a QApplication
    """Set the style sheet that suits the application's palette."""
    app.setStyleSheet(style_sheet(app.palette()))


def _palette(roles: dict) -> QPalette:
    palette = QPalette()
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    return palette


def light_palette() -> QPalette:
    """A light palette like a light desktop's (for the style sheet of callers without an application yet)."""
    return _palette({
        QPalette.ColorRole.Window: "#efefef", QPalette.ColorRole.WindowText: "#202124",
        QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f7f7f7",
        QPalette.ColorRole.Text: "#202124", QPalette.ColorRole.Button: "#efefef",
        QPalette.ColorRole.ButtonText: "#202124", QPalette.ColorRole.Highlight: "#308cc6",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText: "#5f6368",
        QPalette.ColorRole.Mid: "#b8b8b8",
    })


def dark_palette() -> QPalette:
    """A dark palette like a dark desktop's (screenshots and tests of the dark look)."""
    roles = {
        QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#171717", QPalette.ColorRole.AlternateBase: "#26272b",
        QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2d2e31",
        QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.Highlight: "#8ab4f8",
        QPalette.ColorRole.HighlightedText: "#202124", QPalette.ColorRole.ToolTipBase: "#303134",
        QPalette.ColorRole.ToolTipText: "#e8eaed", QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Link: "#8ab4f8", QPalette.ColorRole.Mid: "#3c4043", QPalette.ColorRole.Dark: "#111111",
        QPalette.ColorRole.Light: "#5f6368", QPalette.ColorRole.Midlight: "#4a4d51", QPalette.ColorRole.Shadow: "#000000",
        QPalette.ColorRole.BrightText: "#ffffff",
    }
    palette = _palette(roles)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7378"))
    return palette


# Kept for callers that set the light look directly (benchmarks); the app uses apply_theme.
STYLE_SHEET = style_sheet(light_palette())

"""Colours and the small style sheet: status chips, the new-client callout, page headers."""

from __future__ import annotations

# (background, text) per lander status: calm for the pipeline, warm for what needs a person.
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
NEW_CLIENT_BACKGROUND = "#fff4e5"
NEW_CLIENT_TEXT = "#b06000"

STYLE_SHEET = """
QListWidget#navigation { border: none; background: #f4f6f8; font-size: 13px; padding-top: 6px; }
QListWidget#navigation::item { padding: 8px 14px; border-radius: 6px; margin: 1px 6px; }
QListWidget#navigation::item:selected { background: #d2e3fc; color: #174ea6; }
QLabel[role="page-title"] { font-size: 18px; font-weight: 600; padding: 2px 0 6px 0; }
QLabel[role="hint"] { color: #5f6368; }
QFrame#callout { background: #fff4e5; border: 1px solid #f9c98b; border-radius: 6px; }
QFrame#callout QLabel { color: #7a4100; }
QTableView { gridline-color: #eceff1; selection-background-color: #e8f0fe; selection-color: #202124; }
QHeaderView::section { background: #f8f9fa; border: none; border-bottom: 1px solid #dadce0; padding: 4px 6px;
                       font-weight: 600; }
"""

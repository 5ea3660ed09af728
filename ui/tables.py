"""One way to set up a table view: `make_table(model, ...)` instead of a dozen pasted `QTableView` calls.

    view = make_table(model, row_height=28, stretch=1, widths={0: 200, 2: 120},
                      chip=(STATE_COLUMN, STATE_ROLE, STATE_COLOURS))

Rows are selected whole, one at a time unless `selection="extended"`; no row numbers, no grid, no word wrap;
cells are not edited unless `edit_triggers` says how. Only what a table needs beyond that is passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ui.table_fit import fit_columns
from ui.widgets import ChipDelegate

Selection = Literal["single", "extended"]
_SELECTION = {"single": QAbstractItemView.SelectionMode.SingleSelection,
              "extended": QAbstractItemView.SelectionMode.ExtendedSelection}
NO_EDIT = QAbstractItemView.EditTrigger.NoEditTriggers


def make_table(model: QAbstractItemModel, *, parent: QWidget | None = None, selection: Selection = "single",
               edit_triggers: QAbstractItemView.EditTrigger | None = NO_EDIT, row_height: int | None = 26,
               fixed_rows: bool = False, grid: bool = False, alternating: bool = False,
               stretch_last: bool = False, stretch: int | None = None,
               widths: Mapping[int, int] | Sequence[int] = (),
               chip: tuple[int, int, dict[str, tuple[str, str]] | None] | None = None) -> QTableView:
    """A table view over `model`: whole rows selected, `row_height` px rows (None: the style's), `stretch` (a
    column) or `stretch_last` taking the spare width, `widths` by column (a mapping, or widths from column 0),
    and `chip=(column, role, colours)` painting that column's cells as coloured chips. `edit_triggers=None`
    keeps Qt's default triggers. With a stretch column the columns fit the view's width (`ui.table_fit`: the
    others sized to their contents, cut text elided with a tooltip); without one the table scrolls sideways."""
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(_SELECTION[selection])
    if edit_triggers is not None:
        view.setEditTriggers(edit_triggers)
    rows = view.verticalHeader()
    rows.hide()
    if row_height is not None:
        rows.setDefaultSectionSize(row_height)
    if fixed_rows:
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.setShowGrid(grid)
    view.setAlternatingRowColors(alternating)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for column, width in (widths.items() if isinstance(widths, Mapping) else enumerate(widths)):
        header.resizeSection(column, width)
    if chip is not None:
        column, role, colours = chip
        view.setItemDelegateForColumn(column, ChipDelegate(role, colours, view))
    if stretch is not None or stretch_last:  # the columns fit the view's width (ui.table_fit)
        fit_columns(view, stretch=stretch if stretch is not None else model.columnCount() - 1,
                    keep=(chip[0],) if chip is not None else ())
    else:  # a sheet-like table keeps its columns' widths and scrolls sideways
        view.setProperty("scrolls-sideways", True)
    return view

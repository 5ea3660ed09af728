"""Recogniser: an HTML form's action, hidden inputs and visible controls."""

from __future__ import annotations

from xsc_desktop.intake.recognise.records import _Doc, _Field, _Static
from xsc_desktop.intake.recognise.tables import _add_field
from xsc_desktop.intake.recognise.vocabulary import _TEST_NAME


def _read_form(doc: _Doc, form) -> None:  # extract.HtmlForm
    for control in form.inputs:
        if control.kind == "hidden":
            if not _TEST_NAME.match(control.name):
                doc.statics.setdefault(control.name, _Static(control.name, control.value, "body", "form"))
            continue
        _add_field(doc, _Field(name=control.name, required=control.required or None, type=control.kind,
                               example="", description=control.label, source="form"))

"""Spreadsheet reports: templates, the XLSX writer that streams leads from SQL, schedules and runs.

A template is JSON (`ReportTemplate.spec`): which columns (canonical lead fields, custom fields, computed
ones), their order and header titles, the formats (date pattern, phone pattern, yes/no words), a filter
and the sheet name. The built-in templates ship in `resources/templates/` and are read-only.

The writer uses XlsxWriter in constant-memory mode (openpyxl stays for reading spreadsheets) and reads leads
through a plain DB-API cursor in batches, so memory stays flat whatever the number of leads. Lead values are text in the database; they are written
as text cells (phones and ZIPs keep their leading zeros), dates become real Excel dates, and values that
a spreadsheet would take for a formula are written as quoted text.

A schedule runs at its UTC time (05:00 by default); `run_due_reports(now)` runs every schedule whose
latest slot has not been attempted yet. Each file is one ReportRun (rows, file, times, state, error);
a failed run is recorded and the schedule tries again at its next slot.

Where the code is: `sheet_templates` (columns, specs, stored templates), `sheet_source` (the leads a sheet
takes), `sheet_writer` (the XLSX writer and preview), `sheet_runs` (one report run, its file and record),
`sheet_schedules` (schedules and the scheduler's jobs). This module names their public functions, so callers
import one place.
"""

from __future__ import annotations

from xsc_desktop.sheet_runs import (
    DEFAULT_CLIENT_PATTERN,
    DEFAULT_FILE_PATTERN,
    INTERRUPTED,
    _write_file,
    check_out_dir,
    duration_seconds,
    file_name,
    history,
    recover_interrupted_runs,
    run_as_json,
    run_report,
)
from xsc_desktop.sheet_schedules import (
    DEFAULT_TIME_UTC,
    OTHER_TIMES_CHECK_SECONDS,
    PERIODS,
    _check_time,
    _email_report,
    _summary,
    add_schedule,
    delete_schedule,
    describe_schedule,
    get_schedule,
    latest_slot,
    list_schedules,
    local_time_text,
    next_slot,
    other_times_job,
    reports_job,
    run_due_reports,
    schedule_as_json,
    schedule_target,
    time_label,
    update_schedule,
)
from xsc_desktop.sheet_source import SheetSource, _lander_facts, custom_field_names, resolve_columns
from xsc_desktop.sheet_templates import (
    COMPUTED,
    DEFAULT_FILTER,
    DEFAULT_FORMATS,
    GENERIC,
    LEAD_FIELD_CHOICES,
    TEMPLATE_FORMAT,
    ColumnChoice,
    _free_name,
    check_spec,
    column_choices,
    delete_template,
    describe_column,
    duplicate_template,
    ensure_builtin_templates,
    export_template,
    format_date_for_preview,
    get_template,
    import_template,
    list_templates,
    normalise_spec,
    save_template,
    to_excel_date_pattern,
)
from xsc_desktop.sheet_writer import (
    BATCH_ROWS,
    EXCEL_CELL_LIMIT,
    PREVIEW_ROWS,
    SHEET_ROW_LIMIT,
    TRUNCATION_MARK,
    ProgressFn,
    Quoted,
    ReportCancelled,
    WriteStats,
    count_leads,
    preview,
    sheet_title,
    write_workbook,
)

__all__ = [
    "COMPUTED",
    "ColumnChoice",
    "DEFAULT_FILTER",
    "DEFAULT_FORMATS",
    "GENERIC",
    "LEAD_FIELD_CHOICES",
    "TEMPLATE_FORMAT",
    "_free_name",
    "check_spec",
    "column_choices",
    "delete_template",
    "describe_column",
    "duplicate_template",
    "ensure_builtin_templates",
    "export_template",
    "format_date_for_preview",
    "get_template",
    "import_template",
    "list_templates",
    "normalise_spec",
    "save_template",
    "to_excel_date_pattern",
    "BATCH_ROWS",
    "EXCEL_CELL_LIMIT",
    "PREVIEW_ROWS",
    "ProgressFn",
    "Quoted",
    "ReportCancelled",
    "SHEET_ROW_LIMIT",
    "SheetSource",
    "TRUNCATION_MARK",
    "WriteStats",
    "_lander_facts",
    "count_leads",
    "custom_field_names",
    "preview",
    "resolve_columns",
    "sheet_title",
    "write_workbook",
    "DEFAULT_CLIENT_PATTERN",
    "DEFAULT_FILE_PATTERN",
    "INTERRUPTED",
    "_write_file",
    "check_out_dir",
    "duration_seconds",
    "file_name",
    "history",
    "recover_interrupted_runs",
    "run_as_json",
    "run_report",
    "DEFAULT_TIME_UTC",
    "OTHER_TIMES_CHECK_SECONDS",
    "PERIODS",
    "_check_time",
    "_email_report",
    "_summary",
    "add_schedule",
    "delete_schedule",
    "describe_schedule",
    "get_schedule",
    "latest_slot",
    "list_schedules",
    "local_time_text",
    "next_slot",
    "other_times_job",
    "reports_job",
    "run_due_reports",
    "schedule_as_json",
    "schedule_target",
    "time_label",
    "update_schedule",
]

"""A process that runs the due report schedules and says how far it got (killed at random points by the tests).

    python -m tests.hostile.report_writer DATA_DIR [BATCH_ROWS]

Prints "started", then "progress DONE TOTAL" after each batch, then "done", flushing each line, so a test can
SIGKILL it at a chosen point.
"""

from __future__ import annotations

import sys

from xsc_desktop import sheet_writer, sheets
from xsc_desktop.context import Context
from xsc_desktop.events import subscribe


def main(data_dir: str, batch: str = "") -> int:
    if batch:
        sheet_writer.BATCH_ROWS = int(batch)  # more batches, more points to be killed at
    ctx = Context.create(data_dir)
    ctx.open_database()
    subscribe("report.started", lambda _topic, _payload: print("started", flush=True))
    runs = sheets.run_due_reports(progress=lambda done, total: print(f"progress {done} {total}", flush=True))
    print("done", [r.state for r in runs], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

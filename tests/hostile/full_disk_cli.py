"""The real `xsc-desktop` command line on a database that can grow only a few pages (SQLite says "database or disk
is full", as on a full disk), for the disk-full probes:

    python -m tests.hostile.full_disk_cli MAX_PAGES --data-dir DIR leads import ...
"""

from __future__ import annotations

import sys

from xsc_desktop import cli, db

if __name__ == "__main__":
    db.SQLITE_PRAGMAS["max_page_count"] = int(sys.argv[1])
    sys.exit(cli.main(sys.argv[2:]))

"""The real `xsc-desktop` command line with one more SQLite pragma on every connection, to make the database act
as on a full disk (`max_page_count=N`: SQLite says "database or disk is full") or on a read-only file
(`query_only=1`: "attempt to write a readonly database") where the test machine cannot make those for real:

    python -m tests.hostile.pragma_cli max_page_count=80 --data-dir DIR leads import ...
"""

from __future__ import annotations

import sys

from xsc_desktop import cli, db

if __name__ == "__main__":
    name, _, value = sys.argv[1].partition("=")
    db.SQLITE_PRAGMAS[name] = int(value)
    sys.exit(cli.main(sys.argv[2:]))

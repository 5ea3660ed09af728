"""What every command and the window share: the data dir, the database URL, and opening them once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from xsc_desktop.paths import resolve_data_dir


@dataclass
class Context:
    """The data dir and database of this process; `open_database()` connects and migrates on first use."""

    data_dir: Path
    database_url: str
    log_path: Path | None = None
    _opened: bool = field(default=False, repr=False)

    @classmethod
    def create(cls, data_dir: str | None = None, database_url: str | None = None) -> Context:
        """Resolve --data-dir / XSC_DATA_DIR and --database / XSC_DATABASE_URL."""
        path = resolve_data_dir(data_dir)
        url = database_url or os.environ.get("XSC_DATABASE_URL") or f"sqlite:///{path / 'xsc-desktop.sqlite3'}"
        return cls(data_dir=path, database_url=url)

    def open_database(self):
        """Connect (migrating forward when needed) and start logging; safe to call again."""
        # Imported here so the window can paint before peewee and the models are loaded.
        from xsc_desktop import db
        from xsc_desktop.logs import setup_logging

        if self.log_path is None:
            self.log_path = setup_logging(self.data_dir)
        if not self._opened:
            from xsc_desktop import settings
            from xsc_desktop.paths import use_data_dir

            use_data_dir(self.data_dir)
            settings.configure(self.data_dir)
            db.connect(self.database_url)
            self._opened = True
            _seal_plain_secrets(self)
        return db.database

    def path(self, *parts: str) -> Path:
        """A folder inside the data dir, created when missing."""
        folder = self.data_dir.joinpath(*parts)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder


def _seal_plain_secrets(ctx: Context) -> None:
    """Point the secret store at this data dir and seal secrets an older version kept as plain text. This runs
    after connecting, not as a schema migration: sealing needs the key, which lives outside the database."""
    from xsc_desktop import secrets

    secrets.configure(ctx.data_dir, ctx.database_url)
    try:
        secrets.migrate_plain()
    except Exception:  # never keeps the app from opening: the plain values stay usable, the next start tries again
        import logging

        logging.getLogger(__name__).exception("Sealing the plain-text secrets failed; they stay as they were")

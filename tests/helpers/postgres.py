"""A real PostgreSQL server for tests: `initdb` + `pg_ctl` in a temp dir, on a free port on 127.0.0.1.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the unprivileged `nobody`
user (its folder is made theirs). Each test gets a fresh database copied from a template (fast), dropped after.

    with PostgresServer.start() as server:
        url = server.create_database()            # migrated to the current schema, e.g. for ctx
        empty = server.create_database(empty=True)  # no tables at all, e.g. the target of `db copy`
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "xsc"
PASSWORD = "team-secret-pw"
TEMPLATE = "xsc_template"


class PostgresUnavailable(Exception):
    """The server binaries are not installed (or the server would not start)."""


def find_bin_dir() -> Path | None:
    """The folder with initdb and pg_ctl: XSC_PG_BIN, Debian's /usr/lib/postgresql/NN/bin (newest), or PATH."""
    if os.environ.get("XSC_PG_BIN"):
        return Path(os.environ["XSC_PG_BIN"])
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One running server; `stop()` ends it and removes its folder."""

    def __init__(self, bin_dir: Path, root: Path, port: int, run_as: dict) -> None:
        self.bin_dir, self.root, self.port, self.run_as = bin_dir, root, port, run_as
        self.data = root / "data"
        self._names = itertools.count(1)
        self._admin = None

    # ---- life cycle
    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = find_bin_dir()
        if bin_dir is None or not (bin_dir / "initdb").exists() or not (bin_dir / "pg_ctl").exists():
            raise PostgresUnavailable("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        run_as: dict = {}
        if os.geteuid() == 0:
            import pwd

            for name in ("nobody", "postgres"):
                try:
                    account = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            else:
                raise PostgresUnavailable("there is no unprivileged user (nobody, postgres) to run the server as")
            # /tmp itself: a TMPDIR inside root's home would be out of that user's reach.
            root = Path(tempfile.mkdtemp(prefix="xsc-pg-", dir="/tmp"))
            os.chown(root, account.pw_uid, account.pw_gid)
            run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        else:
            root = Path(tempfile.mkdtemp(prefix="xsc-pg-"))
        server = cls(bin_dir, root, free_port(), run_as)
        try:
            server._init_and_start()
        except BaseException:
            server.stop()
            raise
        return server

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        env = {"PATH": f"{self.bin_dir}:/usr/bin:/bin", "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}
        result = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=env, cwd=self.root,
                                **self.run_as)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{Path(args[0]).name} failed: {result.stdout}\n{result.stderr}")
        return result

    def _init_and_start(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.run_as:
            os.chown(pwfile, self.run_as["user"], self.run_as["group"])
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
                  "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")
        pwfile.unlink()
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", self._start_options(), "-w", "-t", "60", "start")
        self.execute(f"CREATE DATABASE {TEMPLATE}")
        from xsc_desktop import db, storage
        from xsc_desktop.models import database

        previous = database.obj  # the server may start in the middle of a test: leave its database bound
        db.connect(self.url(TEMPLATE))
        storage.close_all(database.obj)
        database.initialize(previous)

    def _start_options(self) -> str:
        return (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                "-c shared_buffers=32MB")

    def shut_down(self) -> None:
        """Stop the server as an administrator would (every connection is cut); its data stays for `start_again`."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def start_again(self) -> None:
        """Start a server stopped by `shut_down` on the same port with the same data."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", self._start_options(), "-w", "-t", "60", "start")

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if (self.data / "postmaster.pid").exists():
            try:
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except (PostgresUnavailable, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- databases
    def url(self, name: str, *, user: str = USER, password: str | None = PASSWORD) -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{name}"

    def execute(self, sql: str) -> list[tuple]:
        """Run one statement on the `postgres` maintenance database (autocommit); returns the rows, if any."""
        import psycopg

        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(host="127.0.0.1", port=self.port, user=USER, password=PASSWORD,
                                          dbname="postgres", autocommit=True)
        cur = self._admin.execute(sql)
        return cur.fetchall() if cur.description else []

    def create_database(self, *, empty: bool = False) -> str:
        """A new database (a copy of the migrated template, or an empty one); returns its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        if empty:
            self.execute(f"CREATE DATABASE {name}")
        else:
            self.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

"""Online backups: SQLite through its backup API (consistent while the app writes; never `cp`
a WAL database), PostgreSQL through `pg_dump --format=custom` (restore with `pg_restore`)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup could not be written; the message says why."""


def backup(url: str, target: Path) -> Path:
    """Write a consistent copy of the database at `url` to `target`; returns the file."""
    parsed = make_url(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        source = parsed.database
        if not source or source == ":memory:":
            raise BackupError("an in-memory SQLite database has nothing to back up")
        if not Path(source).exists():
            raise BackupError(f"no SQLite database at {source}")
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return target
    if parsed.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError("pg_dump is not installed (Debian: apt install postgresql-client)")
        # libpq reads the URL itself (password, host, options=-csearch_path=... included)
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        done = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", "--file", str(target), dsn],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")
        return target
    raise BackupError(f"no backup for {parsed.get_backend_name()} databases")

"""The schema stamp and the forked migration child, without SQLAlchemy or the store.

`outlet-hub run` forks the child *before* it imports the serving hub (aiohttp, SQLAlchemy,
the hub's own modules — most of a start), so on a database that needs migrating the child
imports alembic and migrates on one core while the parent imports on the other, and the
parent waits for it only when it has nothing else to do. This module is what runs before
that fork, so it imports nothing heavy: `tests/hub/test_lean_start.py` checks that.

The stamp: a database migrated by this release's scripts carries a fingerprint of them
(CRC-32 over their names and bytes) in `PRAGMA user_version`, set in the migration's own
transaction; only then is there nothing to migrate (decision 1901, addendum "a shorter
start").
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import traceback
import zlib
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def schema_stamp() -> int:
    """A fingerprint of the migration scripts this release ships (31 bits, for PRAGMA
    user_version): equal only when the database was last migrated by the same scripts."""
    crc = 0
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        crc = zlib.crc32(script.name.encode() + b"\0" + script.read_bytes(), crc)
    return crc & 0x7FFFFFFF


def stamp_of(path: Path) -> int | None:
    """The user_version of the database at `path`, None when there is no database yet."""
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


class MigrationChild:
    """A forked child running `hub.store.engine.migrate(path)`; `wait()` reaps it."""

    def __init__(self, path: Path, pid: int) -> None:
        self.path = path
        self.pid = pid

    def wait(self) -> bool:
        """True when the child exited 0 and the database now carries this release's stamp;
        False otherwise, and then the caller migrates in-process (and fails there with
        alembic's own error), as it always has."""
        _, status = os.waitpid(self.pid, 0)
        try:
            return os.waitstatus_to_exitcode(status) == 0 and stamp_of(self.path) == schema_stamp()
        except (OSError, sqlite3.Error):
            return False


def start_migration(path: Path) -> MigrationChild | None:
    """Fork a child that migrates the database at `path` when it needs it.

    None when there is nothing to migrate, when the database cannot even be read (the
    in-process migrate says why), or when this process cannot fork safely: no `os.fork`,
    or more than one thread (a fork copies only the calling thread).
    """
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    try:
        if stamp_of(path) == schema_stamp():
            return None
    except (OSError, sqlite3.Error):
        return None
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its exit status is what the parent sees
        code = 1
        try:
            from hub.store.engine import migrate
            migrate(path)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            os._exit(code)
    return MigrationChild(path, pid)

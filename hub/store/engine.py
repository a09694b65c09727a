"""The SQLite file itself: connection pragmas, the engine, migrations, sequence counters.

Every connection runs WAL + `synchronous=FULL`: a COMMIT returns only after the WAL is
fsynced, which is what lets the writer say "acknowledged means durable". WAL lets the
readers keep their snapshot while the one writer commits.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import traceback
import zlib
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import NullPool, QueuePool

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BUSY_TIMEOUT_MS = 10000      # a writer waits this long for another process's lock, then fails


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def make_engine(path: Path, *, pooled: bool = True) -> Engine:
    """An engine whose connections run WAL + synchronous=FULL and leave BEGIN/COMMIT to us.

    `pooled=False` for the writer: it holds one connection for its whole life and, after a
    failure, must get a *new* one — a pooled reader opened while the file was read-only
    would hand it the read-only descriptor again.
    """
    pool: dict[str, Any] = ({"poolclass": QueuePool, "pool_size": 4, "max_overflow": 4}
                            if pooled else {"poolclass": NullPool})
    engine = create_engine(f"sqlite:///{path}", isolation_level="AUTOCOMMIT",
                           connect_args={"check_same_thread": False}, **pool)
    event.listen(engine, "connect", _on_connect)
    return engine


def schema_stamp() -> int:
    """A fingerprint of the migration scripts this release ships (31 bits, for PRAGMA
    user_version): equal only when the database was last migrated by the same scripts."""
    crc = 0
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        crc = zlib.crc32(script.name.encode() + b"\0" + script.read_bytes(), crc)
    return crc & 0x7FFFFFFF


def _stamp_of(path: Path) -> int | None:
    """The user_version of the database at `path`, None when there is no database yet."""
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def migrate(path: Path) -> None:
    """Bring the database at `path` to the newest schema (alembic upgrade head).

    A database these very scripts migrated carries their stamp in `user_version`, and then
    alembic is not even imported: it is ~100 ms of the hub's start, for nothing to do. Any
    other database (new, older, migrated by another release, restored) goes through
    alembic, which stamps it afterwards in the same transaction.
    """
    stamp = schema_stamp()
    if _stamp_of(path) == stamp:
        return
    from alembic import command
    from alembic.config import Config

    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _on_connect)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.exec_driver_sql(f"PRAGMA user_version = {stamp:d}")
    engine.dispose()


class MigrationChild:
    """A forked child running `migrate(path)`; `wait()` reaps it."""

    def __init__(self, path: Path, pid: int) -> None:
        self.path = path
        self.pid = pid

    def wait(self) -> bool:
        """True when the child exited 0 and the database now carries this release's stamp;
        False otherwise, and then the caller migrates in-process (a failure raises there
        with its real exception), as it always has."""
        _, status = os.waitpid(self.pid, 0)
        try:
            return os.waitstatus_to_exitcode(status) == 0 and _stamp_of(self.path) == schema_stamp()
        except (OSError, sqlite3.Error):
            return False


def start_migration(path: Path) -> MigrationChild | None:
    """Fork a child that runs `migrate(path)` when the database needs it; None when there
    is nothing to migrate or the child cannot run.

    Why a child: alembic, Mako, Pygments and SQLAlchemy's PostgreSQL dialect (what alembic
    pulls in) stay in a process once imported — ~11 MB of the serving hub's RSS, for a job
    done once per schema (decision 1901, addendum on memory). The fork shares the parent's
    already-imported modules (SQLAlchemy, this package), so it costs milliseconds, not a
    new interpreter, and the parent can go on importing the rest of the hub while the
    child migrates (`outlet-hub run` does). Only from a single-threaded process (a fork
    copies just the calling thread) on a platform with fork; otherwise, or when the
    database cannot even be read (the in-process migrate says why), None.
    """
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    try:
        if _stamp_of(path) == schema_stamp():
            return None
    except (OSError, sqlite3.Error):
        return None
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its exit status is what the parent sees
        code = 1
        try:
            migrate(path)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            os._exit(code)
    return MigrationChild(path, pid)


def sequence(conn: Connection, table: str) -> int:
    """The AUTOINCREMENT high-water mark of `table` (0 when it never had a row)."""
    seq = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table}).scalar()
    return int(seq or 0)

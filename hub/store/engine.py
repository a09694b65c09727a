"""The SQLite file itself: connection pragmas, the engine, migrations, sequence counters.

Every connection runs WAL + `synchronous=FULL`: a COMMIT returns only after the WAL is
fsynced, which is what lets the writer say "acknowledged means durable". WAL lets the
readers keep their snapshot while the one writer commits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import NullPool, QueuePool

from hub.migration_child import MIGRATIONS, schema_stamp, start_migration
from hub.migration_child import stamp_of as _stamp_of

__all__ = ["MIGRATIONS", "make_engine", "migrate", "migrate_in_child", "schema_stamp", "sequence"]

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


def migrate_in_child(path: Path) -> bool:
    """Run `migrate(path)` in a forked child when the database needs it, and wait for it;
    True when it did.

    Why: alembic, Mako, Pygments and SQLAlchemy's PostgreSQL dialect (what alembic pulls
    in) stay in a process once imported — ~11 MB of the serving hub's RSS, for a job done
    once per schema (decision 1901, addendum on memory). `outlet-hub run` starts the child
    itself before its own imports (`hub.migration_child.start_migration`) so the two
    overlap; this is the same child for callers that have imported already. False when
    the child could not run or failed: the caller migrates in-process as before, and a
    failure raises there with its real exception.
    """
    child = start_migration(path)
    return child.wait() if child is not None else False


def sequence(conn: Connection, table: str) -> int:
    """The AUTOINCREMENT high-water mark of `table` (0 when it never had a row)."""
    seq = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table}).scalar()
    return int(seq or 0)

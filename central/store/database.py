"""The engine for either backend, and migrations applied through alembic.

SQLAlchemy runs synchronously in worker threads (`asyncio.to_thread`): there is no
async SQLite driver in the dependency set, and one code path for both backends is worth
more than the thread hop (~50 µs) on requests that batch 100 orders.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant; serialises `alembic upgrade` when several central processes start at once.
_MIGRATION_LOCK = 804_000_003


def sqlalchemy_url(url: str) -> str:
    """Map the URL an operator writes to the driver central uses (psycopg 3 for PostgreSQL)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_postgres(url: str) -> bool:
    """True for a PostgreSQL URL, whatever the driver suffix."""
    return make_url(sqlalchemy_url(url)).get_backend_name() == "postgresql"


def libpq_url(url: str) -> str:
    """The plain `postgresql://` form psycopg's own connect() accepts (for LISTEN)."""
    u = make_url(sqlalchemy_url(url)).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # A hub marks an order sent once central answered: that answer must survive power loss.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their directory created and WAL enabled."""
    url = sqlalchemy_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=8, max_overflow=8,
                               connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    """The alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to head; safe to run from several processes at once."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def default_url(data_dir: str | None = None) -> str:
    """The embedded default: a SQLite file under var/central/."""
    base = Path(data_dir or os.environ.get("CENTRAL_DATA_DIR", "var/central"))
    return f"sqlite:///{base.resolve() / 'central.db'}"

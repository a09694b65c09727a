"""Backups of central's database, kept N deep: pg_dump on PostgreSQL, SQLite's online backup API.

Both are consistent while central keeps serving (pg_dump reads one snapshot; the SQLite API
copies one read transaction). Restore replaces the whole database and wants central stopped.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from central.store.database import is_postgres, sqlalchemy_url
from hub.sqlite_backup import (
    backup_sqlite,
    fsync_path,
    listed,
    prune,
    stamped_name,
    write_durably,
)

PREFIX = "central-"
SUFFIXES = (".pgdump", ".sqlite")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """(URL without password, environment with PGPASSWORD): no secret on a command line."""
    parsed = make_url(sqlalchemy_url(url)).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def backup(url: str, dest: Path, keep: int, now: datetime.datetime | None = None) -> Path:
    """Write one backup into `dest`, durably, then delete all but the `keep` newest."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    if not is_postgres(url):
        return backup_sqlite(_sqlite_path(url), dest, PREFIX, keep, now)
    dest.mkdir(parents=True, exist_ok=True)
    target, env = _libpq(url)

    def dump(part: Path) -> None:
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(part),
                        "--dbname", target], env=env, check=True, capture_output=True, text=True)

    final = write_durably(dest / stamped_name(PREFIX, SUFFIXES[0], now), dump)
    prune(dest, PREFIX, SUFFIXES, keep)
    return final


def backups(dest: Path) -> list[Path]:
    """Backups in `dest`, oldest first (the names sort by time)."""
    return listed(dest, PREFIX, SUFFIXES)


def restore(url: str, backup_file: Path) -> None:
    """Replace the database at `url` with `backup_file` (central must be stopped)."""
    if not backup_file.is_file():
        raise FileNotFoundError(backup_file)
    if is_postgres(url):
        if backup_file.suffix != SUFFIXES[0]:
            raise ValueError(f"{backup_file.name} is not a pg_dump backup")
        target, env = _libpq(url)
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                        "--exit-on-error", "--dbname", target, str(backup_file)],
                       env=env, check=True, capture_output=True, text=True)
        return
    if backup_file.suffix != SUFFIXES[1]:
        raise ValueError(f"{backup_file.name} is not a SQLite backup")
    path = _sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.restore")
    shutil.copyfile(backup_file, part)
    fsync_path(part)
    for stale in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    part.replace(path)
    fsync_path(path.parent)

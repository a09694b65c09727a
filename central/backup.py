"""Backups of central's database, kept N deep: pg_dump on PostgreSQL, SQLite's online backup API.

Both are consistent while central keeps serving (pg_dump reads one snapshot; the SQLite API
copies one read transaction). Restore replaces the whole database and wants central stopped.
"""

from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from central.store.database import is_postgres, sqlalchemy_url

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


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(url: str, dest: Path, keep: int, now: datetime.datetime | None = None) -> Path:
    """Write one backup into `dest`, durably, then delete all but the `keep` newest."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    dest.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    postgres = is_postgres(url)
    final = dest / f"{PREFIX}{stamp}{SUFFIXES[0] if postgres else SUFFIXES[1]}"
    part = dest / f".{final.name}.part"
    try:
        if postgres:
            target, env = _libpq(url)
            subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(part),
                            "--dbname", target], env=env, check=True, capture_output=True,
                           text=True)
        else:
            source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
            copy = sqlite3.connect(part)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        _fsync(part)
        part.rename(final)
        _fsync(dest)
    finally:
        part.unlink(missing_ok=True)
    prune(dest, keep)
    return final


def backups(dest: Path) -> list[Path]:
    """Backups in `dest`, oldest first (the names sort by time)."""
    return sorted(p for p in dest.glob(f"{PREFIX}*") if p.suffix in SUFFIXES)


def prune(dest: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups; returns what was deleted."""
    old = backups(dest)[:-keep]
    for path in old:
        path.unlink()
    return old


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
    _fsync(part)
    for stale in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    part.replace(path)
    _fsync(path.parent)

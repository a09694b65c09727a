"""SQLite backups kept N deep: one online-backup copy, fsynced, renamed into place; the hub's
`outlet-hub backup` and central's SQLite backups both use it.

SQLite's backup API copies the database inside one read transaction, so the copy is a
consistent snapshot while the writer keeps committing (WAL: readers never block writers).
"""

from __future__ import annotations

import datetime
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (so a rename inside it is durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stamped_name(prefix: str, suffix: str, now: datetime.datetime | None = None) -> str:
    """`<prefix><UTC time to the microsecond><suffix>`: names sort by time."""
    moment = now or datetime.datetime.now(datetime.UTC)
    return f"{prefix}{moment.strftime('%Y%m%dT%H%M%S%fZ')}{suffix}"


def write_durably(final: Path, fill: Callable[[Path], None]) -> Path:
    """Have `fill(part_path)` write a temporary file, then fsync it and rename it to `final`."""
    part = final.with_name(f".{final.name}.part")
    try:
        fill(part)
        fsync_path(part)
        part.rename(final)
        fsync_path(final.parent)
    finally:
        part.unlink(missing_ok=True)
    return final


def online_copy(source: Path, target: Path) -> None:
    """Copy the live database at `source` into a new file `target` (read-only on the source)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # The copy inherits WAL mode; a backup must be one self-contained file.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def listed(dest: Path, prefix: str, suffixes: tuple[str, ...]) -> list[Path]:
    """Backups in `dest`, oldest first."""
    return sorted(p for p in dest.glob(f"{prefix}*") if p.suffix in suffixes)


def prune(dest: Path, prefix: str, suffixes: tuple[str, ...], keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups; returns what was deleted."""
    old = listed(dest, prefix, suffixes)[:-keep]
    for path in old:
        path.unlink()
    return old


def backup_sqlite(source: Path, dest: Path, prefix: str, keep: int,
                  now: datetime.datetime | None = None) -> Path:
    """One online backup of `source` into `dest`, then only the `keep` newest are kept."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    if not source.is_file():
        raise FileNotFoundError(source)
    dest.mkdir(parents=True, exist_ok=True)
    final = write_durably(dest / stamped_name(prefix, ".sqlite", now),
                          lambda part: online_copy(source, part))
    prune(dest, prefix, (".sqlite",), keep)
    return final

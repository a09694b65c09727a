"""`outlet-hub restore FILE`: put a backup back on a stopped hub so ids and revs never repeat.

Kitchens and central have seen ids and revs the backup does not hold (orders taken after it).
So after the copy, SQLite's AUTOINCREMENT counters (sqlite_sequence) are raised to the
highest order id and rev central holds from this hub (`GET /api/hubs/seen`); new orders
then continue above them and a kitchen resuming from its last rev misses none and sees
none twice.
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import urllib.request
from pathlib import Path

from hub.central_tls import central_ssl_context
from hub.config import HubConfig
from hub.sqlite_backup import fsync_path


class RestoreError(RuntimeError):
    """The restore cannot go ahead; the message says why and what to do."""


def hub_is_running(cfg: HubConfig) -> bool:
    """True when something answers on the hub's ops port (the hub holds its database)."""
    host = "127.0.0.1" if cfg.bind in ("0.0.0.0", "::", "") else cfg.bind
    try:
        with socket.create_connection((host, cfg.http_port), timeout=1.0):
            return True
    except OSError:
        return False


def central_floor(cfg: HubConfig, timeout: float = 10.0) -> tuple[int, int]:
    """(order id, rev) central holds from this hub, asked with the hub's own token."""
    token_path = Path(cfg.data_dir) / "hub_token"
    if not cfg.central_url or not token_path.exists():
        raise RestoreError("no central_url or hub_token: cannot learn what central has seen "
                           "(--without-central restores anyway; ids/revs may repeat)")
    if not cfg.central_url.startswith(("http://", "https://")):
        raise RestoreError(f"central_url is not http(s): {cfg.central_url!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        cfg.central_url.rstrip("/") + "/api/hubs/seen",
        headers={"Authorization": f"Bearer {token_path.read_text().strip()}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout,  # noqa: S310 (scheme checked above)
                                    context=central_ssl_context(cfg)) as resp:
            body = json.loads(resp.read(65536))
    except (OSError, ValueError) as exc:
        raise RestoreError(f"central did not answer GET /api/hubs/seen: {exc}") from None
    try:
        return int(body["order_id"]), int(body["rev"])
    except (KeyError, TypeError, ValueError):
        raise RestoreError(f"central's answer is not {{order_id, rev}}: {body!r}") from None


def _raise_sequences(db: Path, order_id: int, rev: int) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        with conn:
            for table, floor in (("orders", order_id), ("events", rev)):
                current = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?",
                                       (table,)).fetchone()
                if current is None:
                    conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                                 (table, floor))
                elif current[0] < floor:
                    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
                                 (floor, table))
        seqs = dict(conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
        return int(seqs.get("orders", 0)), int(seqs.get("events", 0))
    finally:
        conn.close()


def restore(cfg: HubConfig, backup: Path, without_central: bool = False) -> tuple[int, int]:
    """Replace the hub's database with `backup`; returns the (order id, rev) it continues from."""
    if hub_is_running(cfg):
        raise RestoreError(f"the hub answers on port {cfg.http_port}: stop it first")
    if not backup.is_file():
        raise RestoreError(f"{backup} is not a file")
    check = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        if check.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise RestoreError(f"{backup} fails SQLite's integrity check")
    finally:
        check.close()
    floor = (0, 0) if without_central else central_floor(cfg)
    db = cfg.db_path
    db.parent.mkdir(parents=True, exist_ok=True)
    part = db.with_name(f".{db.name}.restore")
    shutil.copyfile(backup, part)
    _raise_sequences(part, *floor)
    fsync_path(part)
    for stale in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    part.replace(db)
    fsync_path(db.parent)
    return _raise_sequences(db, 0, 0)

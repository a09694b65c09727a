"""SQL for paired devices and pairing requests; plain functions over a connection.

Used by the running hub (through a thread) and by the `outlet-hub pair/devices` console
commands (directly), so both see one truth: the hub's SQLite file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text

T = TypeVar("T")
KEEP_DECIDED_REQUESTS = 86400.0      # finished requests are forgotten after a day


@dataclass(frozen=True)
class DeviceRow:
    device_id: str
    name: str
    client_type: str
    tenant_ids: list[int]
    token_hash: str
    paired_at: float
    last_seen: float | None
    remote: str
    revoked_at: float | None


@dataclass(frozen=True)
class RequestRow:
    request_id: str
    code: str
    client_type: str
    name: str
    tenant_ids: list[int]
    created_at: float
    expires_at: float
    status: str
    device_id: str | None
    decided_by: str | None
    remote: str


def _device(row: Any) -> DeviceRow:
    return DeviceRow(row.device_id, row.name, row.client_type, json.loads(row.tenant_ids),
                     row.token_hash, row.paired_at, row.last_seen, row.remote, row.revoked_at)


def _request(row: Any) -> RequestRow:
    return RequestRow(row.request_id, row.code, row.client_type, row.name,
                      json.loads(row.tenant_ids), row.created_at, row.expires_at, row.status,
                      row.device_id, row.decided_by, row.remote)


@contextmanager
def _immediate(engine: Engine) -> Iterator[Connection]:
    """A write transaction that takes SQLite's write lock up front (waits, never deadlocks)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.exec_driver_sql("ROLLBACK")
            raise
        conn.exec_driver_sql("COMMIT")


def write(engine: Engine, fn: Callable[[Connection], T]) -> T:
    with _immediate(engine) as conn:
        return fn(conn)


def read(engine: Engine, fn: Callable[[Connection], T]) -> T:
    with engine.connect() as conn:
        return fn(conn)


# -- pairing requests ----------------------------------------------------------------------
def live_codes(conn: Connection, now: float) -> set[str]:
    rows = conn.execute(text("SELECT code FROM pairing_requests WHERE status IN "
                             "('pending', 'approved') AND expires_at > :now"), {"now": now})
    return {r.code for r in rows}


def count_pending(conn: Connection, now: float) -> int:
    return int(conn.execute(text("SELECT count(*) FROM pairing_requests WHERE status = 'pending' "
                                 "AND expires_at > :now"), {"now": now}).scalar_one())


def insert_request(conn: Connection, req: RequestRow) -> None:
    conn.execute(text(
        "INSERT INTO pairing_requests (request_id, code, client_type, name, tenant_ids, "
        "created_at, expires_at, status, remote) VALUES (:request_id, :code, :client_type, "
        ":name, :tenant_ids, :created_at, :expires_at, 'pending', :remote)"),
        {"request_id": req.request_id, "code": req.code, "client_type": req.client_type,
         "name": req.name, "tenant_ids": json.dumps(req.tenant_ids),
         "created_at": req.created_at, "expires_at": req.expires_at, "remote": req.remote})
    conn.execute(text("DELETE FROM pairing_requests WHERE expires_at < :old"),
                 {"old": req.created_at - KEEP_DECIDED_REQUESTS})


def get_request(conn: Connection, request_id: str) -> RequestRow | None:
    row = conn.execute(text("SELECT * FROM pairing_requests WHERE request_id = :r"),
                       {"r": request_id}).first()
    return _request(row) if row is not None else None


def pending_requests(conn: Connection, now: float) -> list[RequestRow]:
    rows = conn.execute(text("SELECT * FROM pairing_requests WHERE status = 'pending' AND "
                             "expires_at > :now ORDER BY created_at"), {"now": now})
    return [_request(r) for r in rows]


def decide(conn: Connection, code: str, approve: bool, by: str, device_id: str,
           now: float, ttl: float) -> RequestRow | None:
    """Approve or reject the live pending request with `code`; None when there is none."""
    row = conn.execute(text("SELECT * FROM pairing_requests WHERE code = :c AND status = "
                            "'pending' AND expires_at > :now"), {"c": code, "now": now}).first()
    if row is None:
        return None
    # An approval leaves the device a fresh 10 minutes to collect its token.
    conn.execute(text("UPDATE pairing_requests SET status = :s, decided_by = :by, "
                      "device_id = :d, expires_at = :exp WHERE request_id = :r"),
                 {"s": "approved" if approve else "rejected", "by": by,
                  "d": device_id if approve else None, "exp": now + ttl if approve else
                  row.expires_at, "r": row.request_id})
    return get_request(conn, row.request_id)


def collect(conn: Connection, request_id: str, token_hash: str, now: float) -> DeviceRow | None:
    """Turn an approved request into a device holding `token_hash`, once; None if not ours."""
    req = get_request(conn, request_id)
    if req is None or req.status != "approved" or req.expires_at <= now or not req.device_id:
        return None
    changed = conn.execute(text("UPDATE pairing_requests SET status = 'collected' WHERE "
                                "request_id = :r AND status = 'approved'"), {"r": request_id})
    if changed.rowcount != 1:
        return None
    conn.execute(text(
        "INSERT INTO devices (device_id, name, client_type, tenant_ids, token_hash, paired_at, "
        "last_seen, remote) VALUES (:d, :n, :t, :ten, :h, :now, :now, :remote)"),
        {"d": req.device_id, "n": req.name, "t": req.client_type,
         "ten": json.dumps(req.tenant_ids), "h": token_hash, "now": now, "remote": req.remote})
    return get_device(conn, req.device_id)


# -- devices -------------------------------------------------------------------------------
def get_device(conn: Connection, device_id: str) -> DeviceRow | None:
    row = conn.execute(text("SELECT * FROM devices WHERE device_id = :d"),
                       {"d": device_id}).first()
    return _device(row) if row is not None else None


def all_devices(conn: Connection) -> list[DeviceRow]:
    return [_device(r) for r in conn.execute(text("SELECT * FROM devices ORDER BY paired_at"))]


def revoke(conn: Connection, device_id: str, now: float) -> bool:
    changed = conn.execute(text("UPDATE devices SET revoked_at = :now WHERE device_id = :d "
                                "AND revoked_at IS NULL"), {"now": now, "d": device_id})
    return changed.rowcount == 1


# -- revocations from other processes ---------------------------------------------------------
# The console revokes in its own process; the running hub must notice within a second. A
# query every second cost the idle hub ~13 ms of CPU per second on the CI machine (the
# query itself is 0.1 ms warm, but after a second idle each page it touches is cold), so
# the console appends a line to this file after its commit and the hub queries only when
# the file's identity changed (plus a slow safety resync, see `hub.devices`).
REVOCATIONS_LOG = "revocations.log"
MAX_REVOCATIONS_LOG = 64 * 1024      # then it starts over: the hub compares identity, not content


def revocations_log(db_path: Path) -> Path:
    return db_path.with_name(REVOCATIONS_LOG)


def note_revocation(db_path: Path, device_id: str, now: float) -> None:
    """After the revocation committed: tell a running hub to look (one line, appended)."""
    path = revocations_log(db_path)
    try:
        restart = path.stat().st_size > MAX_REVOCATIONS_LOG
    except FileNotFoundError:
        restart = False
    with path.open("w" if restart else "a", encoding="utf-8") as f:
        f.write(f"{now:.3f} {device_id}\n")


def revocations_stamp(db_path: Path) -> tuple[int, int, int] | None:
    """What changes whenever `note_revocation` wrote: inode, size and modification time."""
    try:
        st = os.stat(revocations_log(db_path))
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def revoked_ids(conn: Connection) -> set[str]:
    rows = conn.execute(text("SELECT device_id FROM devices WHERE revoked_at IS NOT NULL"))
    return {r.device_id for r in rows}


def touch(conn: Connection, seen: dict[str, float]) -> None:
    """Write last_seen for many devices in one transaction (the hub batches these)."""
    for device_id, at in seen.items():
        conn.execute(text("UPDATE devices SET last_seen = :at WHERE device_id = :d"),
                     {"at": at, "d": device_id})

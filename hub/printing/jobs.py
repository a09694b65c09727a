"""Print jobs beside the change feed: held tickets, reprints and test pages, in SQLite.

A feed ticket needs no row: the printer's cursor is its queue. A row exists only for what
a person decides about — a held ticket (too old to print by itself), a reprint, a test
page — and a held ticket is written in the same transaction that moves the cursor past
it, so a crash can neither lose it nor hold it twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Index, Integer, MetaData, String, Table, Text, select

from hub.store import Change, OrderStore

metadata = MetaData()
print_jobs = Table(
    "print_jobs", metadata,
    Column("id", Integer, primary_key=True),
    Column("printer", String(24), nullable=False),
    Column("state", String(12), nullable=False),      # queued | held | printed | dismissed
    Column("kind", String(16), nullable=False),       # kitchen | ready | cancelled | test
    Column("order_uuid", String(100), nullable=True),
    Column("order_number", String(64), nullable=True),
    Column("tenant_id", Integer, nullable=True),
    Column("reason", String(32), nullable=False),     # too_old | earlier_business_day | reprint | test
    Column("body", Text, nullable=False),             # the order as it was, for the ticket
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Index("ix_print_jobs_printer_state", "printer", "state"),
    sqlite_autoincrement=True,
)
MAX_LISTED = 200


@dataclass(frozen=True)
class PrintJob:
    id: int
    printer: str
    state: str
    kind: str
    order: dict[str, Any]
    reason: str
    created_at: str

    def describe(self) -> dict[str, Any]:
        """The job as /api/printers and the kitchen screen list it."""
        return {"id": self.id, "printer": self.printer, "state": self.state, "kind": self.kind,
                "uuid": self.order.get("uuid"), "order_number": self.order.get("order_number"),
                "tenant_id": self.order.get("tenant_id"), "reason": self.reason,
                "created_at": self.created_at, "order_at": self.order.get("received_at")}


def _row(r: Any) -> PrintJob:
    return PrintJob(r.id, r.printer, r.state, r.kind, json.loads(r.body), r.reason, r.created_at)


def _values(printer: str, state: str, kind: str, order: dict[str, Any], reason: str,
            now: str) -> dict[str, Any]:
    return {"printer": printer, "state": state, "kind": kind, "order_uuid": order.get("uuid"),
            "order_number": order.get("order_number"), "tenant_id": order.get("tenant_id"),
            "reason": reason, "created_at": now, "updated_at": now,
            "body": json.dumps(order, separators=(",", ":"), ensure_ascii=False)}


def _move_cursor(conn: Connection, sink: str, rev: int) -> None:
    from hub.schema import cursors
    current = conn.execute(select(cursors.c.rev).where(cursors.c.sink == sink)).scalar()
    if current is None:
        conn.execute(cursors.insert().values(sink=sink, rev=rev))
    elif rev > current:
        conn.execute(cursors.update().where(cursors.c.sink == sink).values(rev=rev))


class PrintJobs:
    """Reads and writes of `print_jobs`, through the store's one writer."""

    def __init__(self, store: OrderStore) -> None:
        self.store = store

    async def hold(self, printer: str, sink: str, change: Change, kind: str, reason: str,
                   now: str) -> None:
        """Keep a ticket for a person's decision and move the printer's cursor past it, atomically."""
        values = _values(printer, "held", kind, change.order, reason, now)

        def op(conn: Connection, _changes: list[Change]) -> None:
            conn.execute(print_jobs.insert().values(**values))
            _move_cursor(conn, sink, change.rev)

        await self.store._submit_op(op)

    async def enqueue(self, printer: str, kind: str, order: dict[str, Any], reason: str,
                      now: str) -> int:
        """A reprint or test page for `printer`; returns the job id."""
        values = _values(printer, "queued", kind, order, reason, now)

        def op(conn: Connection, _changes: list[Change]) -> int:
            key = conn.execute(print_jobs.insert().values(**values)).inserted_primary_key
            assert key is not None
            return int(key[0])

        return await self.store._submit_op(op)

    async def set_state(self, job_id: int, state: str, now: str, *,
                        only_from: tuple[str, ...] = ()) -> PrintJob | None:
        """Move a job to `state` (from one of `only_from`, if given); None if no such job."""

        def op(conn: Connection, _changes: list[Change]) -> PrintJob | None:
            row = conn.execute(select(print_jobs).where(print_jobs.c.id == job_id)).first()
            if row is None or (only_from and row.state not in only_from):
                return None
            conn.execute(print_jobs.update().where(print_jobs.c.id == job_id)
                         .values(state=state, updated_at=now))
            return _row(row)

        return await self.store._submit_op(op)

    async def queued(self, printer: str, limit: int = 20) -> list[PrintJob]:
        stmt = (select(print_jobs).where(print_jobs.c.printer == printer,
                                         print_jobs.c.state == "queued")
                .order_by(print_jobs.c.id).limit(limit))
        return await self.store.read(lambda c: [_row(r) for r in c.execute(stmt)])

    async def listed(self, state: str) -> list[PrintJob]:
        """Jobs in `state` for every printer, oldest first (bounded: a screen lists 200)."""
        stmt = (select(print_jobs).where(print_jobs.c.state == state)
                .order_by(print_jobs.c.id).limit(MAX_LISTED))
        return await self.store.read(lambda c: [_row(r) for r in c.execute(stmt)])

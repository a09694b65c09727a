"""Retention: old orders leave the file only once every active sink has confirmed them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy import Connection, select

from hub.schema import cursors, events, orders
from hub.store.orders import FeedCounters
from hub.store.rows import Change
from hub.store.writer import GroupCommitWriter
from outlet_protocol.feed import retention_floor

DELETE_CHUNK = 500           # ids per DELETE … IN (…): under SQLite's 999 bound variables


class Retention:
    """The purge, one operation of the writer (its deletes commit with the batch or not at all)."""

    def __init__(self, writer: GroupCommitWriter[Change], counters: FeedCounters) -> None:
        self.writer = writer
        self.counters = counters

    def purge(self, before_iso: str, sinks: Iterable[str]) -> asyncio.Future[int]:
        """Delete orders last touched before `before_iso` that every active sink has confirmed."""
        sink_list = list(sinks)
        counters = self.counters

        def op(conn: Connection, _changes: list[Change]) -> int:
            floor = retention_floor(counters.last_rev, [
                conn.execute(select(cursors.c.rev).where(cursors.c.sink == sink)).scalar()
                for sink in sink_list])
            ids = [r[0] for r in conn.execute(select(orders.c.id).where(
                orders.c.updated_at < before_iso, orders.c.rev <= floor))]
            for start in range(0, len(ids), DELETE_CHUNK):
                chunk = ids[start:start + DELETE_CHUNK]
                conn.execute(events.delete().where(events.c.order_id.in_(chunk)))
                conn.execute(orders.delete().where(orders.c.id.in_(chunk)))
            return len(ids)

        return self.writer.submit(op)

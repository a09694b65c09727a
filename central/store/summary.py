"""Reads behind the daily summary: an outlet's orders of one trading day and their ready times."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from central.store.schema import order_events, orders, outlets

# A hub's clock may run ahead of central's; an order created at 03:59 by a hub 12 h fast
# still counts. Orders received earlier than this before the day's start are not read.
CLOCK_MARGIN = timedelta(days=1)
_CHUNK = 500  # uuids per IN (...) list, well under SQLite's 32,766 parameters


class SummaryStore:
    """Queries for `central.core.summary`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def outlet_day(self, outlet_id: int) -> tuple[str, str] | None:
        """(day_starts_at, timezone) of an outlet, None when it does not exist."""
        with self.engine.connect() as conn:
            row = conn.execute(select(outlets.c.day_starts_at, outlets.c.timezone)
                               .where(outlets.c.id == outlet_id)).first()
        return None if row is None else (row.day_starts_at, row.timezone)

    def orders_of(self, outlet_id: int, start: datetime) -> tuple[list[dict[str, Any]],
                                                                  dict[str, str]]:
        """(bodies of orders received since `start` - margin, uuid → first ready `at`).

        The caller keeps those created inside the day: an order synced days later is still
        read, since it is received after the day's start."""
        since = (start - CLOCK_MARGIN).timestamp()
        with self.engine.connect() as conn:
            rows = list(conn.execute(select(orders.c.uuid, orders.c.status, orders.c.body)
                                     .where(orders.c.outlet_id == outlet_id,
                                            orders.c.received_at >= since)))
            bodies = [dict(r.body, uuid=r.uuid, status=r.status) for r in rows]
            uuids = [r.uuid for r in rows]
            ready: dict[str, str] = {}
            for i in range(0, len(uuids), _CHUNK):
                for ev in conn.execute(select(order_events.c.order_uuid, order_events.c.at)
                                       .where(order_events.c.order_uuid.in_(uuids[i:i + _CHUNK]),
                                              order_events.c.status == "ready")
                                       .order_by(order_events.c.rev)):
                    ready.setdefault(ev.order_uuid, ev.at)
        return bodies, ready

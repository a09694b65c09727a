"""Today's counts for the hub's status page, from the hub's own orders (issue 14).

"Today" is the outlet's trading day: it starts at `day_starts_at` in the hub's local zone
(the appliance's clock is set to the outlet's zone), so a 01:00 order counts for the
evening before, as at central.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from hub.schema import orders
from outlet_protocol import fields
from outlet_protocol.business_day import business_day, day_bounds, parse_day_start


def window(day_starts_at: str, now: datetime) -> tuple[str, str, str]:
    """(trading day, its start, the next day's start) at `now`, the bounds as stored ISO."""
    start = parse_day_start(day_starts_at)
    day = business_day(now, start, None)
    low, high = day_bounds(day, start, None)
    return day.isoformat(), fields.iso(low), fields.iso(high)


def counts(conn: Connection, since_iso: str, until_iso: str) -> dict[str, int]:
    """Orders received in [since, until) by status, plus `orders` (all) and `open`."""
    by_status: dict[str, int] = dict(conn.execute(
        select(orders.c.status, func.count()).where(orders.c.received_at >= since_iso,
                                                    orders.c.received_at < until_iso)
        .group_by(orders.c.status)).tuples().all())
    out: dict[str, int] = {s: int(by_status.get(s, 0)) for s in
                           ("pending", "preparing", "ready", "completed", "cancelled")}
    out["orders"] = sum(out.values())
    out["open"] = out["pending"] + out["preparing"] + out["ready"]
    return out

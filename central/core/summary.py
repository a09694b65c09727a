"""The day's close at central: one row per outlet and tenant from the orders hubs synced.

Pure: the caller passes the orders (their stored bodies), when each first became ready
and the trading day's bounds. An order belongs to the day its `created_at` falls in (the
outlet's `day_starts_at`, local), whenever it reached central: a hub offline for two days
still lands its orders on the right day once it syncs.

- orders: orders not cancelled; items: their quantities; revenue: their `total_amount`;
- cancellations: cancelled orders (not in orders, items or revenue);
- avg_ticket_seconds: mean of created_at → first `ready` over orders that reached ready,
  null when none did.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from outlet_protocol import fields, pricing
from outlet_protocol.errors import invalid

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
COLUMNS = ("business_day", "outlet_id", "tenant_id", "tenant_name", "orders", "items",
           "revenue", "avg_ticket_seconds", "cancellations")


def parse_day(raw: str | None, today: date) -> date:
    """The `date` query parameter (YYYY-MM-DD), today's trading day when absent."""
    if raw in (None, ""):
        return today
    try:
        day = date.fromisoformat(str(raw))
    except ValueError:
        raise invalid("date", "date must be YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:    # keeps day ± margins inside datetime's range
        raise invalid("date", f"date must be between {FIRST_DAY} and {LAST_DAY}")
    return day


def _at(value: Any) -> datetime | None:
    try:
        return fields.timestamp(value) if isinstance(value, str) and value else None
    except fields.BoundsError:
        return None


def summarize(outlet_id: int, day: date, bounds: tuple[datetime, datetime],
              bodies: Iterable[dict[str, Any]], ready_at: dict[str, str]) -> list[dict[str, Any]]:
    """Rows (one per tenant, ascending by tenant id) for the orders created within `bounds`."""
    start, end = bounds
    acc: dict[Any, dict[str, Any]] = {}
    waits: dict[Any, list[float]] = {}
    for body in bodies:
        created = _at(body.get("created_at"))
        if created is None or not start <= created < end:
            continue
        tenant = body.get("tenant_id")
        row = acc.setdefault(tenant, {
            "business_day": day.isoformat(), "outlet_id": outlet_id, "tenant_id": tenant,
            "tenant_name": body.get("tenant_name") or "", "orders": 0, "items": 0,
            "revenue_cents": 0, "cancellations": 0})
        if body.get("status") == "cancelled":
            row["cancellations"] += 1
            continue
        row["orders"] += 1
        row["items"] += sum(int(i.get("qty") or 0) for i in body.get("items") or [])
        row["revenue_cents"] += pricing.to_cents(body.get("total_amount") or "0")
        ready = _at(ready_at.get(str(body.get("uuid"))))
        if ready is not None and ready >= created:
            waits.setdefault(tenant, []).append((ready - created).total_seconds())
    out = []
    for tenant in sorted(acc, key=lambda t: (t is None, t or 0)):
        row = acc[tenant]
        got = waits.get(tenant) or []
        out.append({k: row[k] for k in COLUMNS if k in row} | {
            "revenue": pricing.money_from_cents(row["revenue_cents"]),
            "avg_ticket_seconds": round(sum(got) / len(got), 1) if got else None})
    return [{k: r[k] for k in COLUMNS} for r in out]


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The summary as CSV (header row first) for a spreadsheet."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row[k] is None else _cell(row[k]) for k in COLUMNS})
    return buf.getvalue()


def _cell(value: Any) -> Any:
    # A tenant name like "=HYPERLINK(…)" must not run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value

"""The day's close for the admin: `GET /api/admin/summary` as JSON or CSV (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from central.core import summary
from central.web.context import STORES, db, now, reply, require_admin
from outlet_protocol import fields
from outlet_protocol.business_day import business_day, day_bounds, parse_day_start
from outlet_protocol.errors import ProtocolError

routes = web.RouteTableDef()


@routes.get("/api/admin/summary")
async def daily_summary(request: web.Request) -> web.Response:
    """Orders, items, revenue, average ticket time and cancellations per tenant for one
    trading day (`date`, default the outlet's current one); `format=csv` downloads it."""
    await require_admin(request)
    q = request.query
    outlet_id = fields.integer(q.get("outlet_id"), "outlet_id")
    stores = request.app[STORES]
    found = await db(stores.summary.outlet_day, outlet_id)
    if found is None:
        raise ProtocolError("not_found", f"outlet {outlet_id} does not exist", "outlet_id")
    start_text, zone_name = found
    day_start, zone = parse_day_start(start_text), ZoneInfo(zone_name)
    day = summary.parse_day(q.get("date"),
                            business_day(datetime.fromtimestamp(now(), UTC), day_start, zone))
    bounds = day_bounds(day, day_start, zone)
    bodies, ready = await db(stores.summary.orders_of, outlet_id, bounds[0])
    rows = summary.summarize(outlet_id, day, bounds, bodies, ready)
    if q.get("format") == "csv":
        return web.Response(
            text=summary.to_csv(rows), content_type="text/csv", charset="utf-8",
            headers={"Content-Disposition":
                     f'attachment; filename="summary-outlet{outlet_id}-{day.isoformat()}.csv"'})
    return reply({"outlet_id": outlet_id, "business_day": day.isoformat(),
                  "day_starts_at": start_text, "timezone": zone_name,
                  "from": fields.iso(bounds[0]), "to": fields.iso(bounds[1]), "rows": rows})

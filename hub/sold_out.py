"""Sold out at the hub (issue 14): the most common menu change during service.

A kitchen or POS marks a product sold out (`PUT /api/sold-out/{product_id}`) or back
(`DELETE`); the row is committed through the writer before the answer, then every screen
of the outlet gets a `product_availability` message on its socket (a polling kiosk reads
`GET /api/sold-out` with its status poll). Central learns the set from each heartbeat.
Only products in the cached menu can be marked, so the table is bounded by the menu.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import Connection, delete

from hub.access import guard, request_principal
from hub.context import CTX
from hub.core.messages import build
from hub.core.pairing import READ, SELL_OUT
from hub.schema import sold_out
from hub.store.rows import Change
from hub.store.sold_out import MARK, known, listed
from outlet_protocol import fields
from outlet_protocol.errors import ProtocolError


def _by(request: web.Request) -> str:
    who = request_principal(request)
    return (who.device_id or f"http-{request.remote}")[:100]


async def _change(request: web.Request, sold: bool) -> web.Response:
    ctx = request.app[CTX]
    ctx.intake.require_write(guard(request, SELL_OUT))
    product_id = fields.integer(request.match_info["product_id"], "product_id")
    at, by = fields.iso(), _by(request)

    def op(conn: Connection, _changes: list[Change]) -> bool:
        if sold:
            if not known(conn, product_id):
                raise ProtocolError("not_found", f"product {product_id} is not on this "
                                    "outlet's menu", "product_id")
            return bool(conn.execute(MARK, {"product_id": product_id, "at": at, "by": by})
                        .rowcount)
        return bool(conn.execute(delete(sold_out).where(sold_out.c.product_id == product_id))
                    .rowcount)

    changed = await ctx.store.write(op)
    payload = {"product_id": product_id, "sold_out": sold, "at": at, "by": by}
    if changed:  # committed: now tell every screen (a repeat changes nothing, says nothing)
        ctx.fanout.broadcast(build("product_availability", payload))
    return web.json_response(payload | {"changed": changed})


async def mark(request: web.Request) -> web.Response:
    """Mark a product sold out (idempotent)."""
    return await _change(request, True)


async def unmark(request: web.Request) -> web.Response:
    """The product is back (idempotent)."""
    return await _change(request, False)


async def list_sold_out(request: web.Request) -> web.Response:
    """What is sold out now: what a kiosk greys after a reconnect or on each poll."""
    ctx = request.app[CTX]
    guard(request, READ)
    rows = await ctx.store.read(listed)
    return web.json_response({"sold_out": rows}, headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/sold-out", list_sold_out)
    app.router.add_put(r"/api/sold-out/{product_id:\d+}", mark)
    app.router.add_delete(r"/api/sold-out/{product_id:\d+}", unmark)

"""Versioned master data: public reads with `since_version`, admin writes that bump it.

Reads are public on purpose: they are the prices a kiosk shows to anyone, and the hub,
kiosks and the service worker fetch them with or without a token. Writes need an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from central.core import catalog, fields, printers
from central.core.errors import ApiError
from central.core.fields import iso
from central.web.context import STORES, body_json, db, now, reply, require_admin

Parser = Callable[[Any, bool], dict[str, Any]]
PARSERS: dict[str, Parser] = {
    "tenants": catalog.parse_tenant, "categories": catalog.parse_category,
    "products": catalog.parse_product, "promotions": catalog.parse_promotion,
    "printers": printers.parse,
}
MAX_BULK = 20_000


def _ident(request: web.Request) -> int:
    return fields.integer(request.match_info["ident"], "id")


def _kind_routes(kind: str) -> list[web.RouteDef]:
    parse = PARSERS[kind]

    async def read(request: web.Request) -> web.Response:
        q = request.query
        since = fields.integer(q.get("since_version") or 0, "since_version", minimum=0)
        outlet = fields.optional_integer(q.get("outlet_id"), "outlet_id")
        page = await db(request.app[STORES].catalog.changes, kind, since,
                        catalog.page_limit(q.get("limit")), outlet)
        if kind == "promotions" and q.get("active") in ("1", "true"):
            stamp = iso(now())
            page[kind] = [p for p in page[kind] if catalog.promotion_active(p, stamp)]
        return reply(page)

    async def create(request: web.Request) -> web.Response:
        await require_admin(request)
        values = parse(await body_json(request), False)
        (row,) = await db(request.app[STORES].catalog.create_many, kind, [values], now())
        return reply(row, 201)

    async def bulk(request: web.Request) -> web.Response:
        await require_admin(request)
        body = await body_json(request)
        rows = body.get(kind) if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows or len(rows) > MAX_BULK:
            raise ApiError("validation_failed",
                           f"body must be {{{kind!r}: [1..{MAX_BULK} objects]}}", kind)
        values = [parse(r, False) for r in rows]
        created = await db(request.app[STORES].catalog.create_many, kind, values, now())
        return reply({kind: [{"id": r["id"], "version": r["version"]} for r in created],
                      "current_version": max(r["version"] for r in created)}, 201)

    async def get_one(request: web.Request) -> web.Response:
        return reply(await db(request.app[STORES].catalog.get, kind, _ident(request)))

    async def edit(request: web.Request, partial: bool) -> web.Response:
        await require_admin(request)
        values = parse(await body_json(request), partial)
        if not values:
            raise ApiError("validation_failed", "nothing to change", "body")
        return reply(await db(request.app[STORES].catalog.update, kind, _ident(request), values,
                              now()))

    async def put(request: web.Request) -> web.Response:
        return await edit(request, False)

    async def patch(request: web.Request) -> web.Response:
        return await edit(request, True)

    async def remove(request: web.Request) -> web.Response:
        await require_admin(request)
        await db(request.app[STORES].catalog.delete, kind, _ident(request), now())
        return web.Response(status=204)

    base = f"/api/{kind}/"
    one = base + r"{ident:\d+}/"
    return [
        web.get(base, read), web.get(base.rstrip("/"), read), web.post(base, create),
        web.post(base + "bulk", bulk),
        web.get(one, get_one), web.put(one, put), web.patch(one, patch),
        web.delete(one, remove),
    ]


def menu_routes() -> list[web.RouteDef]:
    """Routes for tenants, categories, products, promotions and printers."""
    out: list[web.RouteDef] = []
    for kind in PARSERS:
        out += _kind_routes(kind)
    return out

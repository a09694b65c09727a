"""Admin API: login, outlets (with the websocket_url pin), enrollment tokens, fleet views."""

from __future__ import annotations

from aiohttp import web

from central.core import catalog, fields, fleet
from central.core.credentials import same
from central.core.errors import ApiError
from central.core.fields import iso
from central.metrics import latest_hub_per_outlet
from central.store.accounts import AdminPrincipal
from central.web.context import (
    CONFIG,
    STORES,
    bearer,
    body_json,
    check_throttle,
    db,
    forget_token,
    now,
    principal,
    record_failure,
    reply,
    require_admin,
    require_outlet_reader,
)

routes = web.RouteTableDef()


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    """{username, password} → {token, expires_at}; failures count towards the throttle."""
    check_throttle(request)
    body = await body_json(request)
    if not isinstance(body, dict):
        raise ApiError("validation_failed", "body must be an object", "body")
    username = fields.required_text(body.get("username"), "username", 100)
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise ApiError("validation_failed", "password is required", "password")
    cfg = request.app[CONFIG]
    got = await db(request.app[STORES].accounts.login, username, password, now(), cfg.session_ttl)
    if got is None:
        record_failure(request)
        raise ApiError("unauthorized", "wrong username or password")
    token, expires = got
    return reply({"token": token, "expires_at": iso(expires), "username": username})


@routes.post("/api/auth/logout")
async def logout(request: web.Request) -> web.Response:
    """Revoke the calling admin token."""
    await require_admin(request)
    token = bearer(request)
    assert token is not None
    forget_token(request, token)
    await db(request.app[STORES].accounts.logout, token)
    return reply({"ok": True})


@routes.get("/api/auth/me")
async def me(request: web.Request) -> web.Response:
    """Who the admin token belongs to."""
    who = await require_admin(request)
    return reply({"username": who.username})


def _outlet_id(request: web.Request) -> int:
    return fields.integer(request.match_info["outlet_id"], "outlet_id")


@routes.get("/api/tenants/outlets/")
async def list_outlets(request: web.Request) -> web.Response:
    """Every outlet with websocket_url, its source and its hub."""
    await require_admin(request)
    return reply(await db(request.app[STORES].fleet.list_outlets, now()))


@routes.post("/api/tenants/outlets/")
async def create_outlet(request: web.Request) -> web.Response:
    """A new outlet; a websocket_url given here is pinned (source admin)."""
    await require_admin(request)
    body = await body_json(request)
    values = catalog.parse_outlet(body, partial=False)
    _, pin = catalog.pin_change(body)
    return reply(await db(request.app[STORES].fleet.create_outlet, values, pin, now()), 201)


@routes.get(r"/api/tenants/outlets/{outlet_id:\d+}/")
async def get_outlet(request: web.Request) -> web.Response:
    """One outlet (admin, or that outlet's hub/display token)."""
    outlet_id = _outlet_id(request)
    await require_outlet_reader(request, outlet_id)
    return reply(await db(request.app[STORES].fleet.get_outlet, outlet_id, now()))


async def _edit_outlet(request: web.Request, partial: bool) -> web.Response:
    await require_admin(request)
    body = await body_json(request)
    values = catalog.parse_outlet(body, partial=partial)
    pin = catalog.pin_change(body)
    return reply(await db(request.app[STORES].fleet.update_outlet, _outlet_id(request), values,
                          pin, now()))


@routes.put(r"/api/tenants/outlets/{outlet_id:\d+}/")
async def put_outlet(request: web.Request) -> web.Response:
    """Replace an outlet's fields; websocket_url pins, null unpins."""
    return await _edit_outlet(request, partial=False)


@routes.patch(r"/api/tenants/outlets/{outlet_id:\d+}/")
async def patch_outlet(request: web.Request) -> web.Response:
    """Change some fields; {"websocket_url": null} hands the URL back to the hub."""
    return await _edit_outlet(request, partial=True)


@routes.post(r"/api/outlets/{outlet_id:\d+}/enrollment-tokens")
async def enrollment_token(request: web.Request) -> web.Response:
    """A single-use, expiring token a hub of this outlet enrolls with (shown once)."""
    await require_admin(request)
    cfg = request.app[CONFIG]
    token, expires = await db(request.app[STORES].fleet.create_enrollment_token,
                              _outlet_id(request), now(), cfg.enrollment_ttl)
    return reply({"token": token, "expires_at": iso(expires),
                  "outlet_id": _outlet_id(request)}, 201)


@routes.get("/api/orders/conflicts")
async def conflicts(request: web.Request) -> web.Response:
    """Resubmissions whose content differed from the stored order (logged, never applied)."""
    await require_admin(request)
    outlet = fields.optional_integer(request.query.get("outlet_id"), "outlet_id")
    return reply({"conflicts": await db(request.app[STORES].orders.conflicts, outlet)})


@routes.get("/api/admin/dead-letters")
async def dead_letters(request: web.Request) -> web.Response:
    """Orders hubs set aside for good (central refused them, or a hub refused an online order)."""
    await require_admin(request)
    outlet = fields.optional_integer(request.query.get("outlet_id"), "outlet_id")
    return reply({"dead_letters": await db(request.app[STORES].dead_letters.list, outlet)})


@routes.get("/api/sd/hubs")
async def service_discovery(request: web.Request) -> web.Response:
    """Prometheus HTTP SD: one target per outlet's current hub (admin or CENTRAL_SD_TOKEN)."""
    cfg = request.app[CONFIG]
    token = bearer(request)
    sd_ok = cfg.sd_token is not None and token is not None and same(token, cfg.sd_token)
    if not sd_ok:
        who = await principal(request)
        if not isinstance(who, AdminPrincipal):
            raise ApiError("unauthorized", "admin or service-discovery token required")
    _, hub_rows = await db(request.app[STORES].fleet.fleet_rows)
    t = now()
    groups = []
    for outlet_id, h in sorted(latest_hub_per_outlet(hub_rows).items()):
        target = fleet.sd_target(list(h.addresses or []), h.websocket_url, h.metrics_port)
        if target is None:
            continue
        groups.append({"targets": [target], "labels": {
            "outlet_id": str(outlet_id), "hub_id": h.hub_id,
            "hub_online": "true" if fleet.is_online(h.last_seen, t, cfg.hub_offline_after)
            else "false"}})
    return reply(groups)



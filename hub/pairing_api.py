"""HTTP routes for pairing screens and managing paired devices (docs/protocol.md §7)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.context import CTX
from hub.http_api import _json_body
from outlet_protocol.errors import ProtocolError


def _pin_header(request: web.Request) -> None:
    """Manager actions carry the PIN in `X-Manager-Pin`; wrong ones count towards lockout."""
    request.app[CTX].devices.check_pin(request.headers.get("X-Manager-Pin"),
                                       request.remote or "?")


async def create_request(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    body = await _json_body(request)
    answer = await ctx.devices.create_request(body, request.remote or "?")
    return web.json_response(answer, status=201, headers={"Cache-Control": "no-store"})


async def poll_request(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    answer = await ctx.devices.poll(request.match_info["request_id"])
    return web.json_response(answer, headers={"Cache-Control": "no-store"})


async def _decide(request: web.Request, approve: bool) -> web.Response:
    ctx = request.app[CTX]
    body: Any = await _json_body(request)
    if not isinstance(body, dict):
        raise ProtocolError("validation_failed", "body must be {code, pin}", "code")
    ctx.devices.check_pin(body.get("pin"), request.remote or "?")
    return web.json_response(await ctx.devices.decide(body.get("code"), approve, "pin"))


async def approve(request: web.Request) -> web.Response:
    return await _decide(request, True)


async def reject(request: web.Request) -> web.Response:
    return await _decide(request, False)


async def list_pending(request: web.Request) -> web.Response:
    _pin_header(request)
    return web.json_response(await request.app[CTX].devices.pending(),
                             headers={"Cache-Control": "no-store"})


async def list_devices(request: web.Request) -> web.Response:
    _pin_header(request)
    return web.json_response(request.app[CTX].devices.listing(),
                             headers={"Cache-Control": "no-store"})


async def revoke_device(request: web.Request) -> web.Response:
    _pin_header(request)
    device_id = request.match_info["device_id"]
    if not await request.app[CTX].devices.revoke(device_id):
        raise ProtocolError("not_found", f"no paired device {device_id}", "device_id")
    return web.json_response({"device_id": device_id, "revoked": True})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/pairing", create_request)
    app.router.add_get("/api/pairing", list_pending)
    app.router.add_post("/api/pairing/approve", approve)
    app.router.add_post("/api/pairing/reject", reject)
    app.router.add_get("/api/pairing/{request_id}", poll_request)
    app.router.add_get("/api/devices", list_devices)
    app.router.add_delete("/api/devices/{device_id}", revoke_device)

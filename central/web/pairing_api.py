"""Screens at HQ (docs/protocol.md §7): hubs report codes and devices, admins answer codes.

The hub calls `POST /api/hubs/pairing` every 2 s while it has pending codes (and whenever
a screen comes, goes or is paired), so an answer given here reaches the hub within 2 s
while the link is up; no socket to the hub is needed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from central.core import fleet
from central.core.pairing import DeviceReport, parse_sync
from central.store.fleet import HubPrincipal
from central.web.context import (
    BROADCASTER,
    CONFIG,
    STORES,
    body_json,
    db,
    now,
    reply,
    require_admin,
    require_hub,
)
from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import iso

routes = web.RouteTableDef()


def paired_kitchen_event(hub: HubPrincipal, device_id: str, device: DeviceReport | None,
                         online: bool, at: float) -> dict[str, Any]:
    """The seeds' `kitchen_status_changed {kitchen_id, status}` for one paired kitchen screen."""
    data: dict[str, Any] = {"outlet_id": hub.outlet_id, "hub_id": hub.hub_id,
                            "kitchen_id": device_id, "status": "online" if online else "offline",
                            "timestamp": iso(at)}
    if device is not None:
        data |= {"name": device.name, "tenant_ids": device.tenant_ids}
    else:
        data["revoked"] = True
    return {"outlet_id": hub.outlet_id, "event": "kitchen_status_changed", "origin_hub": None,
            "data": data}


@routes.post("/api/hubs/pairing")
async def hub_pairing_sync(request: web.Request) -> web.Response:
    """{requests, devices} from the hub → {decisions: [{code, decision: approve|reject}]}."""
    hub = await require_hub(request)
    requests, devices = parse_sync(await body_json(request))
    at = now()
    decisions, changes = await db(request.app[STORES].pairing.sync, hub, requests, devices, at)
    if changes:
        await request.app[BROADCASTER].publish([
            paired_kitchen_event(hub, device_id, device, online, at)
            for device_id, (device, online) in sorted(changes.items())])
    return reply({"decisions": decisions, "server_time": iso(at)})


def _outlet_id(request: web.Request) -> int:
    return int(request.match_info["outlet_id"])


@routes.get(r"/api/outlets/{outlet_id:\d+}/pairing-requests")
async def list_pending(request: web.Request) -> web.Response:
    """Codes shown on the outlet's screens, waiting for an answer."""
    await require_admin(request)
    return reply(await db(request.app[STORES].pairing.pending, _outlet_id(request), now()))


async def _decide(request: web.Request, approve: bool) -> web.Response:
    admin = await require_admin(request)
    code = request.match_info["code"]
    by = f"admin:{admin.username}"
    if not await db(request.app[STORES].pairing.decide, _outlet_id(request), code, approve, by,
                    now()):
        raise ProtocolError("not_found", f"no pending pairing code {code} at this outlet", "code")
    return reply({"code": code, "decision": "approve" if approve else "reject"})


@routes.post(r"/api/outlets/{outlet_id:\d+}/pairing-requests/{code:\d{6}}/approve")
async def approve(request: web.Request) -> web.Response:
    return await _decide(request, True)


@routes.post(r"/api/outlets/{outlet_id:\d+}/pairing-requests/{code:\d{6}}/reject")
async def reject(request: web.Request) -> web.Response:
    return await _decide(request, False)


@routes.get(r"/api/outlets/{outlet_id:\d+}/devices")
async def list_devices(request: web.Request) -> web.Response:
    """Every paired screen of the outlet with its online state and last seen.

    `online` is what the hub last reported, and false once the hub itself is offline
    (its screens cannot be known then); `hub_online` says which.
    """
    await require_admin(request)
    stores, outlet_id = request.app[STORES], _outlet_id(request)
    rows = await db(stores.pairing.devices, outlet_id)
    _outlets, hubs = await db(stores.fleet.fleet_rows)
    hub_seen = {h.hub_id: h.last_seen for h in hubs if h.outlet_id == outlet_id}
    t, after = now(), request.app[CONFIG].hub_offline_after
    out = []
    for r in rows:
        hub_online = fleet.is_online(hub_seen.get(r.hub_id), t, after)
        out.append({"device_id": r.device_id, "name": r.name, "client_type": r.client_type,
                    "tenant_ids": r.tenant_ids, "hub_id": r.hub_id,
                    "online": bool(r.online) and hub_online, "hub_online": hub_online,
                    "last_seen": iso(r.last_seen) if r.last_seen else None,
                    "reported_at": iso(r.reported_at)})
    return reply(out)

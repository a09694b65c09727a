"""Hub releases over HTTP (decision 1101): the admin's rollout and the hubs' bundle download."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from central.core import releases
from central.metrics import latest_hub_per_outlet
from central.store.fleet import HubPrincipal
from central.web.context import STORES, body_json, db, now, reply, require_admin, require_hub
from outlet_protocol.errors import ProtocolError
from outlet_protocol.releases import valid_version

routes = web.RouteTableDef()
_RANGE = re.compile(r"^bytes=(\d{1,12})-(\d{0,12})$")


@routes.get("/api/releases")
async def list_releases(request: web.Request) -> web.Response:
    """Published releases and the rollout in force."""
    await require_admin(request)
    store = request.app[STORES].releases
    return reply({"releases": await db(store.list),
                  "rollout": releases.rollout_json(await db(store.rollout))})


@routes.put("/api/releases/rollout")
async def assign(request: web.Request) -> web.Response:
    """Assign a release to a ring: {version, ring, canary_outlets, percentage, force}."""
    admin = await require_admin(request)
    wanted = releases.parse_rollout(await body_json(request))
    done = await db(request.app[STORES].releases.assign, wanted, admin.username, now())
    return reply({"rollout": releases.rollout_json(done)})


@routes.delete("/api/releases/rollout")
async def withdraw(request: web.Request) -> web.Response:
    """Stop the rollout: hubs keep the version they run."""
    await require_admin(request)
    await db(request.app[STORES].releases.withdraw)
    return reply({"rollout": None})


@routes.get("/api/releases/outlets")
async def per_outlet(request: web.Request) -> web.Response:
    """Per outlet: current version, target, update state and last error (from heartbeats)."""
    await require_admin(request)
    stores = request.app[STORES]
    rollout = await db(stores.releases.rollout)
    outlets, hub_rows = await db(stores.fleet.fleet_rows)
    hubs = latest_hub_per_outlet(hub_rows)
    return reply({"outlets": [releases.outlet_view(o.id, o.name, hubs.get(o.id), rollout)
                              for o in outlets],
                  "rollout": releases.rollout_json(rollout)})


async def target_for_hub(request: web.Request, hub: HubPrincipal) -> dict[str, Any] | None:
    """The heartbeat answer's `update` for this hub (None: keep what it runs)."""
    store = request.app[STORES].releases
    rollout = await db(store.rollout)
    if rollout is None:
        return None
    info = await db(store.info, rollout.version)
    if info is None:
        return None
    return releases.target_for(rollout, hub.outlet_id, hub.hub_id, *info)


@routes.get("/api/hubs/releases/{version}/bundle")
async def bundle(request: web.Request) -> web.StreamResponse:
    """The signed bundle, whole or from a `Range: bytes=N-` (a resumed download)."""
    await require_hub(request)
    version = request.match_info["version"]
    store = request.app[STORES].releases
    info = await db(store.info, version) if valid_version(version) else None
    if info is None:
        raise ProtocolError("not_found", f"no release {version[:40]}", "version")
    sha, size = info
    start, end, status = 0, size - 1, 200
    wanted = request.headers.get("Range")
    if wanted:
        m = _RANGE.match(wanted.strip())
        if m is None or int(m.group(1)) >= size:
            return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        start = int(m.group(1))
        end = min(size - 1, int(m.group(2))) if m.group(2) else size - 1
        status = 206
    resp = web.StreamResponse(status=status, headers={
        "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes",
        "Content-Length": str(end - start + 1), "ETag": f'"{sha}"',
        **({"Content-Range": f"bytes {start}-{end}/{size}"} if status == 206 else {})})
    await resp.prepare(request)
    chunks = await db(lambda: list(store.read(version, start, end)))
    for chunk in chunks:
        await resp.write(chunk)
    await resp.write_eof()
    return resp

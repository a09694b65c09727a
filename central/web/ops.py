"""`/metrics` for Prometheus and `/health` for load balancers."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from central.config import token_digest
from central.core.credentials import same
from central.metrics import FleetSnapshot
from central.web.context import CONFIG, METRICS, STORES, SUPERVISOR, bearer, db, now, reply
from outlet_protocol.errors import ProtocolError

routes = web.RouteTableDef()


def _metrics_allowed(request: web.Request) -> bool:
    """No CENTRAL_METRICS_TOKEN: open; else the bearer token's SHA-256 must match, in constant time."""
    expected = request.app[CONFIG].metrics_token_sha256
    if expected is None:
        return True
    token = bearer(request)
    return token is not None and len(token) <= 512 and same(token_digest(token), expected)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Fleet gauges from the database plus this process's counters (text format 0.0.4)."""
    if not _metrics_allowed(request):
        raise ProtocolError("unauthorized", "/metrics requires the metrics bearer token")
    stores = request.app[STORES]
    outlets, hubs = await db(stores.fleet.fleet_rows)
    m = request.app[METRICS]
    m.fleet.snapshot = FleetSnapshot(outlets=outlets, hubs=hubs,
                                     menu_version=await db(stores.catalog.current_version),
                                     now=now(), offline_after=request.app[CONFIG].hub_offline_after,
                                     devices=await db(stores.pairing.devices))
    body = generate_latest(m.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    """200 {"status": "ok", "db": "ok"} when the database answers; `degraded` with the
    reasons while a background task is restarting."""
    version = await db(request.app[STORES].catalog.current_version)
    supervisor = request.app[SUPERVISOR]
    reasons = supervisor.reasons()
    return reply({"status": "degraded" if reasons else "ok", "db": "ok", "menu_version": version,
                  "reasons": reasons, "tasks": supervisor.snapshot()})

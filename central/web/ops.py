"""`/metrics` for Prometheus and `/health` for load balancers."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from central.metrics import FleetSnapshot
from central.web.context import CONFIG, METRICS, STORES, SUPERVISOR, db, now, reply

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Fleet gauges from the database plus this process's counters (text format 0.0.4)."""
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

"""Ops adapter on HTTP_PORT (docs/protocol.md §4): `/health`, `/clients`, `/metrics`."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from hub.context import CTX, HubContext
from hub.health import health_body


async def health(request: web.Request) -> web.Response:
    body = health_body(request.app[CTX])
    return web.json_response(body, status=200 if body["db"] == "ok" else 503,
                             headers={"Cache-Control": "no-store"})


async def clients(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    listed = [c.describe() for c in ctx.fanout.clients] + [p.describe() for p in ctx.live_pollers()]
    return web.json_response({"total": len(listed), "clients": listed})


def refresh_client_gauges(ctx: HubContext) -> None:
    """Client gauges are computed at scrape time from the registry (no drift, no bookkeeping)."""
    m = ctx.metrics
    ws_counts: dict[str, int] = {}
    kitchens: dict[str, int] = {}
    for c in ctx.fanout.clients:
        ws_counts[c.client_type] = ws_counts.get(c.client_type, 0) + 1
        if c.client_type == "kitchen":
            labels = [str(t) for t in sorted(c.filter.tenant_ids)] or ["all"]
            for label in labels:
                kitchens[label] = kitchens.get(label, 0) + 1
    poll_counts: dict[str, int] = {}
    for p in ctx.live_pollers():
        poll_counts[p.client_type] = poll_counts.get(p.client_type, 0) + 1
    for t in ("pos", "kitchen", "display", "board", "device"):
        m.clients.labels(t, "ws").set(ws_counts.get(t, 0))
        m.clients.labels(t, "poll").set(poll_counts.get(t, 0))
    m.kitchens.clear()
    m.kitchens.labels("all").set(kitchens.pop("all", 0))
    for label, n in kitchens.items():
        m.kitchens.labels(label).set(n)
    refresh_paired_kitchens(ctx)
    m.last_rev.set(ctx.store.last_rev)
    m.menu_version.set(ctx.state.menu_version)
    m.mqtt_connected.set(1 if ctx.state.mqtt == "connected" else 0)
    m.central_up.set(1 if ctx.state.central == "ok" else 0)


def refresh_paired_kitchens(ctx: HubContext) -> None:
    """Per stall: paired kitchen screens and how many are online (the "stall dark" alert)."""
    now = time.time()
    paired: dict[str, int] = {}
    online: dict[str, int] = {}
    for d in ctx.devices.devices.values():
        if d.client_type != "kitchen":
            continue
        for label in [str(t) for t in sorted(d.tenant_ids)] or ["all"]:
            paired[label] = paired.get(label, 0) + 1
            online[label] = online.get(label, 0) + (1 if d.online(now) else 0)
    gauge = ctx.metrics.paired_kitchens
    gauge.clear()
    if not paired:                 # zeros, so the series exist; the alert needs paired > 0
        paired, online = {"all": 0}, {"all": 0}
    for label, n in paired.items():
        gauge.labels(label, "paired").set(n)
        gauge.labels(label, "online").set(online[label])


def refresh_tls_gauge(ctx: HubContext) -> None:
    facts = ctx.lan_tls.facts if ctx.lan_tls is not None else None
    ctx.metrics.tls_expiry.set(facts.not_after.timestamp() if facts is not None else 0)


async def metrics(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    refresh_client_gauges(ctx)
    refresh_tls_gauge(ctx)
    return web.Response(body=ctx.metrics.render(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/health", health)
    app.router.add_get("/clients", clients)
    app.router.add_get("/metrics", metrics)

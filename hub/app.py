"""The one place that wires the hub together: two aiohttp apps, one context, one resource each.

Port WS_PORT serves browsers (WebSocket, HTTP API, the apps); HTTP_PORT serves ops
(/health, /clients, /metrics). Every resource — database, MQTT, mDNS, central link,
background tasks — is opened and closed by its own cleanup_ctx generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from aiohttp import web

from hub import __version__, systemd
from hub.background import cancel_and_wait
from hub.config import HubConfig, with_persistent_hub_id
from hub.context import CTX, HubContext
from hub.core.messages import build
from hub.devices import DeviceRegistry
from hub.discovery import Advertiser, advertised_addresses, websocket_url_for
from hub.fanout import Fanout
from hub.http_api import add_routes as add_http_routes
from hub.http_api import protocol_errors
from hub.https import LAN_TLS, HttpsListener, ca_pem, make_redirect_middleware
from hub.intake import OrderIntake
from hub.lan_tls import LanCertificate
from hub.metrics import HubMetrics
from hub.ops import add_routes as add_ops_routes
from hub.pairing_api import add_routes as add_pairing_routes
from hub.printing.service import add_printing, start_printing
from hub.security import MAX_BODY, FloodGuard, make_allowlist_middleware, make_guard_middleware
from hub.sold_out import add_routes as add_sold_out_routes
from hub.state import HubState
from hub.store import CommitStats, OrderStore, migrate
from hub.trust_api import add_routes as add_trust_routes
from hub.ui_static import add_routes as add_ui_routes
from hub.ui_static import status_page
from hub.ws import websocket_handler
from outlet_protocol.feed import CLIENT_TYPES

log = logging.getLogger(__name__)

OBSERVE_EVERY = 2.0
RETENTION_EVERY = 3600.0
CHECKPOINT_EVERY = 1.0


def build_context(cfg: HubConfig) -> HubContext:
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    cfg = with_persistent_hub_id(cfg)
    store = OrderStore(cfg.db_path)
    metrics = HubMetrics(__version__, cfg.effective_hub_id, cfg.outlet_id, cfg.data_dir)

    # Label children resolved once: this runs for every frame to every screen.
    per_type = {t: metrics.deliveries.labels(t) for t in CLIENT_TYPES}

    def delivered(client_type: str, frames: int, oldest: float | None) -> None:
        per_type[client_type].inc(frames)
        if oldest is not None:
            metrics.fanout_latency.observe(time.perf_counter() - oldest)

    fanout = Fanout(on_delivered=delivered)
    intake = OrderIntake(cfg, store, fanout, metrics)
    state = HubState(central="disabled" if not cfg.central_enabled else "unreachable",
                     mqtt="disabled" if not cfg.mqtt_enabled else "disconnected")
    addresses = advertised_addresses(cfg)
    devices = DeviceRegistry(cfg, metrics)
    lan_tls = LanCertificate(cfg.data_dir)
    if cfg.tls_enabled:
        # A hub offline for weeks still serves what it has (and /health says until when).
        lan_tls.load()
    secure = cfg.tls_enabled and lan_tls.context is not None
    ctx = HubContext(cfg, store, fanout, metrics, intake, state, devices, addresses=addresses,
                     websocket_url=websocket_url_for(cfg, addresses, secure),
                     lan_tls=lan_tls, https=HttpsListener(cfg, lan_tls),
                     ws_refuse_flag=os.environ.get("HUB_TEST_REFUSE_WS", ""),
                     flood=FloodGuard(cfg))
    ctx.supervisor.on_restart = lambda task: metrics.task_restarts.labels(task).inc()
    return ctx


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    ctx = app[CTX]
    await asyncio.to_thread(migrate, ctx.cfg.db_path)
    ctx.store.start(asyncio.get_running_loop())
    ctx.store.listeners.append(ctx.fanout.publish)

    def observe_commit(stats: CommitStats) -> None:
        ctx.metrics.commit_seconds.observe(stats.seconds)
        ctx.metrics.commit_batch.observe(stats.batch)

    ctx.store.commit_observers.append(observe_commit)
    version = await ctx.store.read(lambda c: OrderStore.get_meta(c, "menu_version"))
    ctx.state.menu_version = int(version or 0)
    ctx.state.menu_synced_at = await ctx.store.read(
        lambda c: OrderStore.get_meta(c, "menu_synced_at"))
    # The outlet's locale, currency and day start central sent last (decisions 0901, 0910),
    # until it answers.
    cached: list[str | None] = [await ctx.store.read(partial(OrderStore.get_meta, key=f"outlet_{k}"))
                                for k in ("locale", "currency", "day_starts_at")]
    ctx.central_locale, ctx.central_currency, ctx.central_day_start = (v or "" for v in cached)
    ctx.state.listeners.append(
        lambda snap: ctx.fanout.broadcast(build("hub_status", snap)))
    await ctx.devices.start()
    yield
    await ctx.devices.stop()
    await ctx.store.close()


def _sinks(cfg: HubConfig) -> list[str]:
    sinks = []
    if cfg.mqtt_enabled:
        sinks.append("mqtt")
    if cfg.central_enabled:
        sinks.append("central")
    return sinks


async def _observe_backlog(ctx: HubContext) -> None:
    """Outbox depth and age → metrics and hub_status; a cheap indexed count every 2 s."""
    while True:
        await _observe_once(ctx)
        await asyncio.sleep(OBSERVE_EVERY)


async def _observe_once(ctx: HubContext) -> None:
    """One look at every sink's backlog (a read: it works while the disk is full)."""
    now = datetime.now(UTC)
    for sink in _sinks(ctx.cfg):
        count, oldest = await ctx.store.read(partial(OrderStore.backlog, sink=sink))
        age = 0.0
        if oldest:
            age = max(0.0, (now - datetime.fromisoformat(oldest.replace("Z", "+00:00")))
                      .total_seconds())
        ctx.metrics.outbox_pending.labels(sink).set(count)
        ctx.metrics.outbox_age.labels(sink).set(age)
        if sink == "central":
            ctx.state.update(pending_sync=count, oldest_unsynced_age=round(age, 1))
        else:
            ctx.state.update(mqtt_pending=count)


async def _retention(ctx: HubContext) -> None:
    """Delete orders older than retention_days that every sink has confirmed, hourly."""
    while True:
        cutoff = (datetime.now(UTC) - timedelta(days=ctx.cfg.retention_days)).isoformat()
        try:
            removed = await ctx.store.purge(cutoff.replace("+00:00", "Z"), _sinks(ctx.cfg))
            # Logged every pass (hourly), so a pass that kept everything is visible too.
            log.info("retention: removed %d orders last changed before %s", removed, cutoff)
        except Exception:
            log.exception("retention purge failed; will retry")
        await asyncio.sleep(RETENTION_EVERY)


async def _checkpoints(ctx: HubContext) -> None:
    """Fold the WAL into the database every second, beside the commit path, not inside it."""
    while True:
        await asyncio.sleep(CHECKPOINT_EVERY)
        try:
            await ctx.store.checkpoint()
        except Exception:
            log.exception("WAL checkpoint failed; will retry")


async def _watchdog(ctx: HubContext, interval: float) -> None:
    while True:
        if ctx.store.healthy:
            systemd.notify("WATCHDOG=1")
        await asyncio.sleep(interval)


def _task_ctx(name: str, factory: Callable[[HubContext], Coroutine[Any, Any, None]]
              ) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx_gen(app: web.Application) -> AsyncIterator[None]:
        ctx = app[CTX]
        task = ctx.supervisor.spawn(name, lambda: factory(ctx))
        yield
        await cancel_and_wait([task])
    return ctx_gen


async def _mqtt_ctx(app: web.Application) -> AsyncIterator[None]:
    ctx = app[CTX]
    if not ctx.cfg.mqtt_enabled:
        yield
        return
    from hub.mqtt_bridge import MqttBridge
    bridge = MqttBridge(ctx)
    await bridge.start()
    yield
    await bridge.stop()


async def _zeroconf_ctx(app: web.Application) -> AsyncIterator[None]:
    ctx = app[CTX]
    if not ctx.cfg.zeroconf:
        yield
        return
    advertiser = Advertiser(ctx.cfg, ctx.version, ctx.addresses)
    # mDNS probing takes ~1.2 s; orders must not wait for it, so it runs beside the start.
    task = asyncio.create_task(advertiser.start(), name="zeroconf")
    yield
    await cancel_and_wait([task])
    await advertiser.stop()


async def _central_ctx(app: web.Application) -> AsyncIterator[None]:
    ctx = app[CTX]
    if not ctx.cfg.central_enabled:
        yield
        return
    from hub.central_link import CentralLink
    from hub.pairing_link import PairingLink
    link = CentralLink(ctx)
    update_tasks = []
    if ctx.cfg.update_root:
        from hub.updater import Updater
        updater = Updater(ctx, link)
        link.update_agent = updater
        ctx.update_report = updater.report
        update_tasks.append(ctx.supervisor.spawn("updates", updater.run))
    await link.start()
    screens = PairingLink(ctx, link)
    screens.start()
    yield
    await screens.stop()
    await cancel_and_wait(update_tasks)
    await link.stop()


async def root(request: web.Request) -> web.StreamResponse:
    """`/` is the seed clients' WebSocket address and, for a browser, the hub status page."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await websocket_handler(request)
    return await status_page(request)


def build_apps(ctx: HubContext) -> tuple[web.Application, web.Application]:
    def refused(reason: str) -> None:
        ctx.metrics.requests_refused.labels(reason).inc()

    guard = make_guard_middleware(ctx.cfg, ctx.flood, count=refused)
    assert ctx.lan_tls is not None
    to_https = make_redirect_middleware(ctx.cfg, ctx.lan_tls)
    main = web.Application(client_max_size=MAX_BODY,
                           middlewares=[guard, to_https, protocol_errors])
    main[CTX] = ctx
    main[LAN_TLS] = ctx.lan_tls
    main.router.add_get("/ca.pem", ca_pem)
    main.router.add_get("/ws", websocket_handler)
    main.router.add_get("/", root)
    add_http_routes(main)
    add_pairing_routes(main)
    add_sold_out_routes(main)
    add_printing(main, ctx)
    add_trust_routes(main)
    add_ui_routes(main)
    main.cleanup_ctx.append(_store_ctx)
    main.on_shutdown.append(lambda _app: ctx.fanout.close_all())
    main.cleanup_ctx.append(_task_ctx("backlog", _observe_backlog))
    main.cleanup_ctx.append(_task_ctx("retention", _retention))
    main.cleanup_ctx.append(_task_ctx("checkpoint", _checkpoints))
    main.cleanup_ctx.append(_task_ctx("devices", lambda c: c.devices.sync_loop()))
    main.cleanup_ctx.append(_mqtt_ctx)
    main.cleanup_ctx.append(_central_ctx)
    start_printing(main)
    main.cleanup_ctx.append(_zeroconf_ctx)
    interval = systemd.watchdog_interval()
    if interval:
        main.cleanup_ctx.append(_task_ctx("watchdog", lambda c: _watchdog(c, interval)))
    ops = web.Application(middlewares=[make_allowlist_middleware(ctx.cfg, count=refused)])
    ops[CTX] = ctx
    ops[LAN_TLS] = ctx.lan_tls
    ops.router.add_get("/ca.pem", ca_pem)
    add_ops_routes(ops)
    return main, ops


async def serve(cfg: HubConfig, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop`), then shut down within 10 s."""
    # The writer thread hands each commit back to the loop; a 1 ms GIL switch interval
    # (default 5 ms) bounds how long that hand-off can wait behind a busy loop.
    sys.setswitchinterval(0.001)
    ctx = build_context(cfg)
    main, ops = build_apps(ctx)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    main_runner = web.AppRunner(main, handle_signals=False, shutdown_timeout=5.0,
                                access_log=None)
    ops_runner = web.AppRunner(ops, handle_signals=False, shutdown_timeout=2.0, access_log=None)
    await main_runner.setup()
    await ops_runner.setup()
    try:
        await web.TCPSite(main_runner, cfg.bind, cfg.ws_port, reuse_address=True).start()
        await web.TCPSite(ops_runner, cfg.bind, cfg.http_port, reuse_address=True).start()
        if ctx.https is not None:
            await ctx.https.attach(main_runner)
        log.info("hub %s for outlet %d: ws %s, http %s:%d/health", ctx.cfg.hub_id,
                 cfg.outlet_id, ctx.websocket_url, cfg.bind, cfg.http_port)
        freeze_startup_objects()
        systemd.notify("READY=1\nSTATUS=serving orders")
        await stop.wait()
        log.info("shutting down: closing sockets with 1001, finishing writes")
        systemd.notify("STOPPING=1")
    finally:
        await asyncio.wait_for(_cleanup(main_runner, ops_runner), 9.0)


def freeze_startup_objects() -> None:
    """Move everything built at start (modules, routes, SQLAlchemy tables, the context) out
    of the collected generations, so a full collection never walks it on the hot path.

    With ~95k objects alive after start, CPython's occasional full collection cost ~40 ms
    of CPU (200 ms of wall time on a loaded machine, measured under the latency bench),
    every order in flight waiting behind it. Frozen objects are never freed by the cyclic
    collector; they live as long as the process anyway. No `gc.collect()` first: that
    would be the same 40 ms pause, at start, for ~1,000 start-up leftovers (decision 1901).
    """
    gc.freeze()


async def _cleanup(*runners: web.AppRunner) -> None:
    for runner in runners:
        await runner.cleanup()

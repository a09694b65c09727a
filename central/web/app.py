"""The one place central is wired together: state, routes, one cleanup_ctx per resource."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from central.config import CentralConfig
from central.core import fleet
from central.core.credentials import FailureThrottle
from central.metrics import CentralMetrics
from central.realtime import Broadcaster
from central.store import database
from central.store.accounts import AccountStore
from central.store.catalog import CatalogStore
from central.store.dead_letters import DeadLetterStore
from central.store.fleet import FleetStore
from central.store.orders import OrderStore
from central.store.pairing import PairingStore
from central.store.summary import SummaryStore
from central.web import (
    admin_api,
    admin_panel,
    cors,
    hub_api,
    menu_api,
    ops,
    orders_api,
    outlet_ws,
    pairing_api,
    summary_api,
)
from central.web.context import (
    AUTH_CACHE,
    BROADCASTER,
    CONFIG,
    METRICS,
    STORES,
    SUPERVISOR,
    THROTTLE,
    Stores,
    errors_and_timing,
    remote,
)
from hub import systemd
from hub.background import cancel_and_wait
from hub.supervisor import Supervisor

log = logging.getLogger("central")
# Bulk menu imports: 10,000 products of JSON are ~2 MB.
_MAX_BODY = 16 * 1024 * 1024


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log without query strings: a `?token=` must never reach a log file."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        client = remote(request) if isinstance(request, web.Request) else request.remote
        self.logger.info('%s "%s %s" %s %.1fms', client, request.method, request.path,
                         response.status, time * 1000)


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Engine, migrations to head, the stores; disposed at shutdown."""
    cfg = app[CONFIG]
    engine = database.make_engine(cfg.database_url)
    await asyncio.to_thread(database.migrate, engine)
    accounts = AccountStore(engine)
    app[STORES] = Stores(
        fleet=FleetStore(engine, cfg.hub_offline_after), accounts=accounts,
        catalog=CatalogStore(engine), orders=OrderStore(engine),
        display_secret=await asyncio.to_thread(accounts.secret, "display_token"),
        dead_letters=DeadLetterStore(engine), pairing=PairingStore(engine),
        summary=SummaryStore(engine))
    log.info("database ready (%s)", engine.dialect.name)
    yield
    engine.dispose()


async def realtime_ctx(app: web.Application) -> AsyncIterator[None]:
    """LISTEN/NOTIFY on PostgreSQL, in-process fan-out on SQLite."""
    cfg = app[CONFIG]
    orders = app[STORES].orders
    listen = (database.libpq_url(cfg.database_url) if database.is_postgres(cfg.database_url)
              else None)

    async def load(uuid: str) -> dict[str, object]:
        return await asyncio.to_thread(orders.get_order, uuid)

    broadcaster = Broadcaster(listen, load, spawn=app[SUPERVISOR].spawn)
    await broadcaster.start()
    app[BROADCASTER] = broadcaster
    yield
    await broadcaster.stop()


async def offline_sweep_ctx(app: web.Application) -> AsyncIterator[None]:
    """Announce on each outlet channel when its hub stops heartbeating (kitchens unreachable).

    Every process sweeps; the claim is one conditional UPDATE, so each offline episode is
    announced once across processes (PostgreSQL NOTIFY then reaches every subscriber).
    """
    cfg = app[CONFIG]
    fleet_store = app[STORES].fleet
    interval = fleet.sweep_interval(cfg.hub_offline_after)

    async def sweep() -> None:
        # Supervised: an exception is logged with its traceback, counted and restarted.
        while True:
            await asyncio.sleep(interval)
            t = time.time()
            gone = await asyncio.to_thread(fleet_store.sweep_offline, t)
            if gone:
                log.info("hubs offline: %s", ", ".join(h.hub_id for h in gone))
                await app[BROADCASTER].publish([
                    hub_api.kitchen_status_event(h, 0, hub_online=False, at=t) for h in gone])

    task = app[SUPERVISOR].spawn("central-offline-sweep", sweep)
    yield
    await cancel_and_wait([task])


async def executor_ctx(app: web.Application) -> AsyncIterator[None]:
    """Worker threads for database calls, sized to the connection pool (10 + 10 overflow)."""
    pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="central-db")
    asyncio.get_running_loop().set_default_executor(pool)
    yield
    pool.shutdown(wait=False, cancel_futures=True)


def build_app(cfg: CentralConfig) -> web.Application:
    """The aiohttp application for `cfg` (resources open when the app starts)."""
    app = web.Application(middlewares=[cors.cors_preflight, errors_and_timing],
                          client_max_size=_MAX_BODY)
    app.on_response_prepare.append(cors.add_cors_headers)
    app[CONFIG] = cfg
    app[METRICS] = metrics = CentralMetrics()
    app[SUPERVISOR] = Supervisor(
        on_restart=lambda task: metrics.task_restarts.labels(task).inc())
    app[THROTTLE] = FailureThrottle(cfg.auth_failure_limit, cfg.auth_failure_window)
    app[AUTH_CACHE] = {}
    app.cleanup_ctx.extend([executor_ctx, database_ctx, realtime_ctx, offline_sweep_ctx])
    app.add_routes(hub_api.routes)
    app.add_routes(pairing_api.routes)
    app.add_routes(admin_api.routes)
    app.add_routes(orders_api.routes)
    app.add_routes(summary_api.routes)
    app.add_routes(menu_api.menu_routes())
    app.add_routes(outlet_ws.routes)
    app.add_routes(ops.routes)
    app.add_routes(admin_panel.routes)
    return app


async def _watchdog(interval: float) -> None:
    """WATCHDOG=1 while the event loop turns: a wedged loop gets the unit restarted."""
    while True:
        systemd.notify("WATCHDOG=1")
        await asyncio.sleep(interval)


async def serve(cfg: CentralConfig) -> None:
    """Serve until SIGINT/SIGTERM, telling systemd (Type=notify) when ready and when stopping."""
    if cfg.metrics_token_sha256 is None:
        log.warning("CENTRAL_METRICS_TOKEN is not set: /metrics is open to anyone who can reach it")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(build_app(cfg), handle_signals=False, shutdown_timeout=5.0,
                           access_log_class=PathOnlyAccessLogger)
    await runner.setup()
    watchdog: asyncio.Task[None] | None = None
    try:
        await web.TCPSite(runner, cfg.bind, cfg.port).start()
        log.info("central listening on %s:%d", cfg.bind, cfg.port)
        interval = systemd.watchdog_interval()
        if interval:
            watchdog = asyncio.create_task(_watchdog(interval), name="central-watchdog")
        systemd.notify(f"READY=1\nSTATUS=serving on port {cfg.port}")
        await stop.wait()
        systemd.notify("STOPPING=1")
    finally:
        if watchdog is not None:
            watchdog.cancel()
        await runner.cleanup()


def run(cfg: CentralConfig) -> None:
    """Serve until SIGINT/SIGTERM."""
    asyncio.run(serve(cfg))

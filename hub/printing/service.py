"""The printers of one hub: a worker each, their status in hub_status, /health and metrics.

Wired by `hub.app` through `printing_ctx`; nothing here runs when no printer is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aiohttp import web
from prometheus_client import Counter, Gauge

from hub.background import cancel_and_wait
from hub.context import HubContext
from hub.printing.config import PrinterConfig, merge_printers
from hub.printing.jobs import PrintJobs
from hub.printing.policy import parse_day_start
from hub.printing.worker import Outlet, PrinterWorker
from hub.store import OrderStore

log = logging.getLogger(__name__)

OBSERVE_EVERY = 2.0
CENTRAL_EVERY = 10.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PrintService:
    """Every configured printer's worker, and what the rest of the hub asks about them."""

    def __init__(self, ctx: HubContext, clock: Callable[[], datetime] = _utc_now) -> None:
        self.ctx = ctx
        self.jobs = PrintJobs(ctx.store)
        cfg = ctx.cfg
        self.outlet = Outlet(ctx.outlet_locale, None,
                             lambda: parse_day_start(ctx.outlet_day_starts_at()))
        self.clock = clock
        self.workers: dict[str, PrinterWorker] = {}
        self.running: dict[str, asyncio.Task[None]] = {}
        self.central_problems: list[str] = []
        for printer in cfg.printers:
            self.workers[printer.name] = self._worker(printer)
        self._wire_backups()
        r = ctx.metrics.registry
        self.up = Gauge("outlet_hub_printer_up", "1 when the printer took its last bytes or "
                        "answered its last status query.", ["printer"], registry=r)
        self.queue = Gauge("outlet_hub_printer_queue", "Tickets waiting for the printer.",
                           ["printer"], registry=r)
        self.held = Gauge("outlet_hub_printer_held", "Tickets held for a reprint decision.",
                          ["printer"], registry=r)
        self.printed = Counter("outlet_hub_printer_tickets", "Tickets the printer took, by kind.",
                               ["printer", "kind"], registry=r)
        self._counted: dict[tuple[str, str], int] = {}
        self.held_count: dict[str, int] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.refresh = asyncio.Event()

    def _worker(self, printer: PrinterConfig) -> PrinterWorker:
        return PrinterWorker(printer, self.ctx.store, self.jobs, self.outlet, self.clock,
                             on_change=self.changed)

    def _wire_backups(self) -> None:
        for worker in self.workers.values():
            worker.backup = self.workers.get(worker.printer.backup) if worker.printer.backup \
                else None

    def _run(self, name: str) -> None:
        self.up.labels(name).set(0)
        self.queue.labels(name).set(0)
        self.held.labels(name).set(0)
        # Counters exist from the start at 0, so increase() sees a printer's first ticket.
        for kind in self.workers[name].printer.prints:
            self.printed.labels(name, kind)
        # Supervised (hub/supervisor.py): a worker that raises is logged, counted, restarted.
        self.running[name] = self.ctx.supervisor.spawn(f"printer-{name}", self.workers[name].run)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self.ctx.store.listeners.append(lambda _changes: self.wake_all())
        if self.ctx.cfg.central_enabled:
            await self.apply_central()
        for name in self.workers:
            self._run(name)
        spawn = self.ctx.supervisor.spawn
        self.tasks = [spawn("printer-observe", self._observe)]
        if self.ctx.cfg.central_enabled:
            self.tasks.append(spawn("printer-central", self._follow_central))
        self._publish()

    async def stop(self) -> None:
        await cancel_and_wait(self.tasks)
        await cancel_and_wait(self.running.values())

    # -- printers configured at central ----------------------------------------------------
    async def apply_central(self) -> bool:
        """Bring the workers in line with hub.toml + central's printers (menu cache); True if changed."""
        items, _deleted, _more = await self.ctx.store.read(
            partial(OrderStore.menu_since, kind="printers", since_version=0, limit=1000))
        wanted, problems = merge_printers(self.ctx.cfg.printers, items, self.ctx.cfg.outlet_id)
        if problems != self.central_problems:
            for problem in problems:
                log.warning("central printer refused: %s", problem)
            self.central_problems = problems
        want = {p.name: p for p in wanted}
        changed = False
        for name in [n for n, w in self.workers.items() if want.get(n) != w.printer]:
            task = self.running.pop(name, None)
            if task is not None:
                await cancel_and_wait([task])
            del self.workers[name]
            for gauge in (self.up, self.queue, self.held):
                with contextlib.suppress(KeyError):
                    gauge.remove(name)
            changed = True
        for name, printer in want.items():
            if name not in self.workers:
                self.workers[name] = self._worker(printer)
                if self.tasks:                       # started: run it now
                    self._run(name)
                changed = True
        if changed:
            self._wire_backups()
            log.info("printers now: %s", ", ".join(self.workers) or "none")
            self.changed()
        return changed

    async def _follow_central(self) -> None:
        """Central's printers arrive with the menu; look at the cache every 10 s."""
        while True:
            await asyncio.sleep(CENTRAL_EVERY)
            try:
                await self.apply_central()
            except Exception:
                log.exception("applying central's printers failed; will retry")

    def changed(self) -> None:
        """A printer went up or down or held a ticket: tell the screens now, recount soon."""
        self._publish()
        self.refresh.set()

    def wake_all(self) -> None:
        for worker in self.workers.values():
            worker.wake.set()

    # -- what others see -------------------------------------------------------------------
    def describe(self) -> list[dict[str, Any]]:
        """Per printer: name, state, reason, queue, held — `hub_status.printers`."""
        return [{"name": n, **w.status.describe(), "held": self.held_count.get(n, 0),
                 "backup": w.printer.backup or None} for n, w in self.workers.items()]

    def _publish(self) -> None:
        """hub_status carries state and held count (not the queue: it changes every order)."""
        brief = [{"name": n, "state": d["state"], "reason": d["reason"], "held": d["held"]}
                 for n, d in ((p["name"], p) for p in self.describe())]
        self.ctx.state.update(printers=brief)
        for name, worker in self.workers.items():
            if name in self.running:
                self.up.labels(name).set(1 if worker.status.up else 0)

    async def _observe(self) -> None:
        """Queue depth, held tickets and printed counts → metrics, every 2 s."""
        while True:
            try:
                held = await self.jobs.listed("held")
                self.held_count = {n: sum(1 for j in held if j.printer == n) for n in self.workers}
                for name, worker in list(self.workers.items()):
                    worker.status.queue = await worker.pending()
                    self.queue.labels(name).set(worker.status.queue)
                    self.held.labels(name).set(self.held_count[name])
                    for kind, count in worker.status.printed.items():
                        seen = self._counted.get((name, kind), 0)
                        if count > seen:
                            self.printed.labels(name, kind).inc(count - seen)
                            self._counted[(name, kind)] = count
                self._publish()
            except Exception:
                log.exception("printer observation failed; will retry")
            self.refresh.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.refresh.wait(), OBSERVE_EVERY)


PRINTING: web.AppKey[PrintService] = web.AppKey("printing", PrintService)


async def _printing_ctx(app: web.Application) -> AsyncIterator[None]:
    service = app[PRINTING]
    if not service.workers and not service.ctx.cfg.central_enabled:
        yield
        return
    await service.start()
    yield
    await service.stop()


def add_printing(app: web.Application, ctx: HubContext) -> None:
    """Printers for this app: the service and its HTTP routes (before the UI's catch-all)."""
    from hub.printing.http import add_routes

    app[PRINTING] = PrintService(ctx)
    add_routes(app)


def start_printing(app: web.Application) -> None:
    """Run the workers once the store is open: call after the store's cleanup_ctx is added."""
    app.cleanup_ctx.append(_printing_ctx)

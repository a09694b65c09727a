"""One worker per printer: its own cursor over the change feed, so a dead printer holds up no other.

The cursor moves only after the printer (or, after the configured wait, its backup) took
the ticket's bytes, so an offline, unplugged or out-of-paper printer keeps its queue across
restarts and prints it in order when it returns. Tickets too old to print by themselves
are held (see `policy.hold_reason`) and wait for a person on the kitchen screen.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from datetime import time as clock_time
from functools import partial
from typing import Any

from hub.printing.config import PrinterConfig
from hub.printing.jobs import PrintJob, PrintJobs
from hub.printing.policy import hold_reason, parse_iso, prints_for, ticket_kind
from hub.printing.tickets import render_test_page, render_ticket
from hub.printing.transport import PrinterUnavailable, send
from hub.store import Change, OrderStore
from outlet_protocol.fields import iso
from outlet_protocol.outbox import Backoff

log = logging.getLogger(__name__)

READ_BATCH = 50
# An idle printer is asked its status every 10 s, so "printer offline" shows before the
# next order needs it, not after.
PROBE_EVERY = 10.0
RETRY = Backoff(initial=1.0, factor=2.0, maximum=15.0, jitter=0.2)

Sender = Callable[[PrinterConfig, bytes], Awaitable[None]]


async def send_to(printer: PrinterConfig, data: bytes) -> None:
    await send(printer.url, data, status_query=printer.status_query)


@dataclass
class PrinterStatus:
    """What the kitchen screens, the status page and the metrics know about one printer."""

    up: bool | None = None                 # None: not asked yet
    reason: str = ""
    down_since: float | None = None        # monotonic, first failure of this outage
    last_printed_at: str | None = None
    queue: int = 0
    printed: dict[str, int] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        state = "unknown" if self.up is None else ("online" if self.up else "offline")
        return {"state": state, "reason": self.reason or None, "queue": self.queue,
                "last_printed_at": self.last_printed_at}


@dataclass(frozen=True)
class Outlet:
    """Facts about the outlet every ticket needs: language, local time zone, day start.

    `locale` is asked per ticket: an enrolled hub learns it from central after start."""

    locale: Callable[[], str]
    zone: tzinfo | None
    day_start: Callable[[], clock_time]     # asked per ticket too: central may change it


class PrinterWorker:
    """Prints one printer's share of the change feed, its reprints and its test pages."""

    def __init__(self, printer: PrinterConfig, store: OrderStore, jobs: PrintJobs,
                 outlet: Outlet, clock: Callable[[], datetime],
                 backup: PrinterWorker | None = None, sender: Sender = send_to,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.printer = printer
        self.store = store
        self.jobs = jobs
        self.outlet = outlet
        self.clock = clock
        self.backup = backup
        self.sender = sender
        self.on_change = on_change
        self.status = PrinterStatus()
        self.cursor = 0
        self.wake = asyncio.Event()
        self.attempt = 0

    # -- state -----------------------------------------------------------------------------
    def _mark(self, up: bool, reason: str = "") -> None:
        before = (self.status.up, self.status.reason)
        self.status.up, self.status.reason = up, reason
        if up:
            self.status.down_since = None
            self.attempt = 0
        elif self.status.down_since is None:
            self.status.down_since = time.monotonic()
        if before != (up, reason):
            log.info("printer %s %s%s", self.printer.name, "online" if up else "offline",
                     f": {reason}" if reason else "")
            self.on_change()

    def backup_due(self) -> bool:
        """The backup takes this printer's tickets once it has been down for the configured wait."""
        since = self.status.down_since
        return (self.backup is not None and since is not None
                and time.monotonic() - since >= self.printer.backup_after_seconds)

    async def _deliver(self, data: bytes) -> bool:
        try:
            await self.sender(self.printer, data)
        except PrinterUnavailable as exc:
            self._mark(False, exc.reason)
            return False
        self._mark(True)
        return True

    def _render(self, kind: str, order: dict[str, Any], *, backup_for: str = "",
                reprint: bool = False, printer: PrinterConfig | None = None) -> bytes:
        return render_ticket(kind, order, printer or self.printer, locale=self.outlet.locale(),
                             printed_at=self.clock(), zone=self.outlet.zone,
                             backup_for=backup_for, reprint=reprint)

    # -- the loop --------------------------------------------------------------------------
    async def start_position(self) -> None:
        """Resume at the stored cursor; a new printer starts at the feed's end, not its history."""
        sink = self.printer.sink
        known = await self.store.read(partial(_has_cursor, sink=sink))
        if known is None:
            self.cursor = self.store.committed_rev
            await self.store.set_cursor(sink, self.cursor)
        else:
            self.cursor = known

    async def run(self) -> None:
        started = False
        while True:
            self.wake.clear()   # before reading: a commit during the step wakes the next wait
            try:
                if not started:
                    await self.start_position()
                    started = True
                progressed = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:                 # a bug here must not stop the other printers
                log.exception("printer %s worker failed; retrying", self.printer.name)
                self._mark(False, "hub error")
                progressed = False
            if progressed:
                continue
            if self.status.up is False:
                # Down: retry on the backoff, not on every new order.
                await asyncio.sleep(RETRY.delay(self.attempt, random.random()))  # noqa: S311
                self.attempt += 1
                continue
            try:
                await asyncio.wait_for(self.wake.wait(), PROBE_EVERY)
            except TimeoutError:
                if not await self._has_work():
                    await self._deliver(b"")   # idle status probe

    async def _has_work(self) -> bool:
        return bool(await self.jobs.queued(self.printer.name, 1)) or (
            self.store.committed_rev > self.cursor)

    async def step(self) -> bool:
        """Print what is due; True if anything moved (then run again at once)."""
        if not await self._print_jobs() and not self.backup_due():
            return False
        changes = await self.store.read(
            partial(OrderStore.changes_after, rev=self.cursor, limit=READ_BATCH))
        if not changes:
            if self.status.up is not True:    # nothing to print: ask whether it is back
                await self._deliver(b"")
            return False
        skipped_to = None
        for ch in changes:
            kind = ticket_kind(ch.kind, ch.order["status"])
            if not prints_for(self.printer, kind, ch.order):
                skipped_to = ch.rev
                continue
            assert kind is not None
            if skipped_to is not None:
                await self._advance(skipped_to)
                skipped_to = None
            if not await self._print_change(ch, kind):
                return False
        if skipped_to is not None:
            await self._advance(skipped_to)
        return True

    async def _advance(self, rev: int) -> None:
        await self.store.set_cursor(self.printer.sink, rev)
        self.cursor = rev

    async def _print_change(self, ch: Change, kind: str) -> bool:
        now = self.clock()
        at = parse_iso(ch.order["received_at"] if kind == "kitchen" else ch.at)
        reason = hold_reason(at, now, self.printer.hold_after_minutes, self.outlet.day_start(),
                             self.outlet.zone)
        if reason:
            await self.jobs.hold(self.printer.name, self.printer.sink, ch, kind, reason,
                                 iso(now))
            self.cursor = ch.rev
            log.info("printer %s: held %s ticket for order %s (%s)", self.printer.name, kind,
                     ch.order["order_number"], reason)
            self.on_change()
            return True
        if await self._deliver(self._render(kind, ch.order)):
            self._count(kind)
            await self._advance(ch.rev)
            return True
        backup = self.backup
        if backup is not None and self.backup_due():
            data = self._render(kind, ch.order, backup_for=self.printer.name,
                                printer=backup.printer)
            if await backup._deliver(data):
                self._count(f"{kind}_backup")
                await self._advance(ch.rev)
                return True
        return False

    async def _print_jobs(self) -> bool:
        """Reprints and test pages first; False if the printer refused one (then stop here)."""
        for job in await self.jobs.queued(self.printer.name):
            if job.kind == "test":
                data = render_test_page(self.printer, locale=self.outlet.locale(),
                                        printed_at=self.clock(), zone=self.outlet.zone)
            else:
                data = self._render(job.kind, job.order, reprint=True)
            if not await self._deliver(data):
                return False
            self._count(job.kind if job.kind == "test" else "reprint")
            await self.jobs.set_state(job.id, "printed", iso(self.clock()))
        return True

    def _count(self, kind: str) -> None:
        self.status.printed[kind] = self.status.printed.get(kind, 0) + 1
        self.status.last_printed_at = iso(self.clock())

    async def pending(self) -> int:
        """Tickets waiting for this printer: feed entries it prints after its cursor, plus jobs."""
        changes = await self.store.read(
            partial(OrderStore.changes_after, rev=self.cursor, limit=5000))
        feed = sum(1 for ch in changes
                   if prints_for(self.printer, ticket_kind(ch.kind, ch.order["status"]), ch.order))
        return feed + len(await self.jobs.queued(self.printer.name, 100))


def _has_cursor(conn: Any, sink: str) -> int | None:
    from sqlalchemy import select

    from hub.schema import cursors
    value = conn.execute(select(cursors.c.rev).where(cursors.c.sink == sink)).scalar()
    return None if value is None else int(value)


__all__ = ["Outlet", "PrintJob", "PrinterStatus", "PrinterWorker"]

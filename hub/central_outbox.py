"""The order outbox to central: the change feed after the `central` cursor, in rev order.

The cursor moves only past entries central took or the hub set aside durably (a dead
letter). A batch central refuses as a whole (400, 413) is halved until the one entry it
will never take is found (`outlet_protocol.outbox.Bisection`); that entry is dead-lettered and
the rest go on. Per-entry `invalid`/`conflict` results are dead-lettered too (before
issue 13 they were logged and skipped: an order at the hub that central never had,
with nothing to show for it). `/health` names the cause while any of this happens.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from hub.central_errors import STORE_FAULTS, CentralBadAnswer, CentralHTTPError, CentralRefused
from hub.dead_letters import DeadLetter, for_change
from hub.store import Change, OrderStore
from outlet_protocol.outbox import BATCH_REFUSALS, Bisection

if TYPE_CHECKING:
    from hub.central_link import CentralLink

log = logging.getLogger(__name__)

SINK = "central"
BATCH = 100
ORDER_RESULTS = frozenset({"created", "duplicate"})
ORDER_REFUSALS = frozenset({"conflict", "invalid"})
EVENT_RESULTS = frozenset({"applied", "duplicate", "unknown_order"})
REPORT_BATCH = 50
REPORT_EVERY = 10.0


def results_of(answer: Any, sent: int, what: str) -> list[dict[str, Any]]:
    """Central's per-entry results, one per entry sent, or CentralBadAnswer."""
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or len(results) != sent \
            or not all(isinstance(r, dict) and isinstance(r.get("result"), str) for r in results):
        raise CentralBadAnswer(f"{what}: expected {sent} results, got {str(answer)[:100]}")
    return results


class CentralOutbox:
    """Sends the change feed to central; never skips an entry it did not deliver or set aside."""

    def __init__(self, link: CentralLink) -> None:
        self.link = link
        self.ctx = link.ctx
        self.streak = 0

    async def run(self) -> None:
        """The outbox loop: read a batch after the cursor, deliver it, move the cursor."""
        await self.link.registered.wait()
        store, state = self.ctx.store, self.ctx.state
        cursor = await store.read(partial(OrderStore.cursor, sink=SINK))
        attempt = 0
        while True:
            # Cleared before the read, never after: a commit that lands while the read's
            # snapshot is taken sets it again, so an empty answer cannot sleep through it.
            self.link.outbox_wake.clear()
            changes = await store.read(partial(OrderStore.changes_after, rev=cursor, limit=BATCH))
            if not changes:
                await self.link.outbox_wake.wait()
                continue
            try:
                cursor = await self.deliver(changes, cursor)
            except (ConnectionError, CentralRefused) as exc:
                self.link._unreachable(exc, "central outbox")
                await self.link.pause(attempt)
                attempt += 1
                continue
            except STORE_FAULTS as exc:
                state.set_problem("central outbox", f"cannot record what central took: {exc}")
                await self.link.pause(attempt, wake=self.link.outbox_wake)
                attempt += 1
                continue
            attempt = 0
            state.set_problem("central outbox", "")

    async def deliver(self, changes: list[Change], cursor: int) -> int:
        """Send `changes` (halving refused batches); returns the new durable cursor."""
        store, state = self.ctx.store, self.ctx.state
        bisection = Bisection(len(changes), self.streak)
        while (front := bisection.front()) is not None:
            start, end = front
            try:
                letters = await self.send(changes[start:end])
            except CentralHTTPError as exc:
                if exc.status not in BATCH_REFUSALS:
                    raise
                index = bisection.refused(exc.status)
                self.streak = bisection.streak
                if index is None and bisection.central_at_fault:
                    raise CentralBadAnswer(f"central refuses every order (HTTP {exc.status}); "
                                           "retrying, nothing set aside") from exc
                if index is None:
                    state.set_problem("central outbox", f"central refused a batch of {end - start} with "
                                                        f"HTTP {exc.status}; splitting it to find "
                                                        "the order")
                    continue
                letters = [for_change(changes[index], f"http_{exc.status}",
                                      f"central refused it alone with HTTP {exc.status}: "
                                      f"{exc.text[:200]}")]
                last = index
            else:
                last = bisection.accepted()
                self.streak = 0
            for item in letters:
                await self.set_aside(item)
            cursor = max(cursor, changes[last].rev)
            await store.set_cursor(SINK, cursor)
        return cursor

    async def set_aside(self, item: DeadLetter) -> None:
        """Dead-letter one entry (durably, before the cursor passes it) and say so."""
        if await self.link.dead_letters.put(item):
            log.error("dead letter: central will never take %s (%s: %s)", item.key, item.code,
                      item.reason)
        self.link.dead_letters_wake.set()

    async def send(self, changes: list[Change]) -> list[DeadLetter]:
        """POST the orders, then the status events; returns the entries central refused."""
        created = [ch for ch in changes if ch.kind == "created"]
        status = [ch for ch in changes if ch.kind == "status"]
        refused: list[DeadLetter] = []
        if created:
            answer = await self.link._call("POST", "/api/hubs/orders",
                                           {"orders": [ch.order for ch in created]})
            for ch, result in zip(created, results_of(answer, len(created), "orders"), strict=True):
                code = result["result"]
                if code in ORDER_REFUSALS:
                    refused.append(for_change(ch, code, str(result.get("error") or code)))
                elif code not in ORDER_RESULTS:
                    raise CentralBadAnswer(f"orders: unknown result {code[:40]!r}")
        if status:
            events = [{"uuid": ch.order["uuid"], "rev": ch.rev, "status": ch.order["status"],
                       "from_status": ch.from_status, "at": ch.at, "by": ch.by} for ch in status]
            answer = await self.link._call("POST", "/api/hubs/order-events", {"events": events})
            for ch, result in zip(status, results_of(answer, len(status), "order-events"),
                                  strict=True):
                code = result["result"]
                if code == "invalid":
                    refused.append(for_change(ch, code, str(result.get("error") or code)))
                elif code not in EVENT_RESULTS:
                    raise CentralBadAnswer(f"order-events: unknown result {code[:40]!r}")
                elif code == "unknown_order":
                    log.warning("central does not know order %s (event rev %d)",
                                ch.order["uuid"], ch.rev)
        return refused


async def report_dead_letters(link: CentralLink) -> None:
    """Send dead letters to central (it shows them to the admin) until each is confirmed."""
    await link.registered.wait()
    box, attempt = link.dead_letters, 0
    while True:
        link.dead_letters_wake.clear()           # before the read, as in the outbox loop
        try:
            waiting = await box.unreported(REPORT_BATCH)
            if waiting:
                answer = await link._call("POST", "/api/hubs/dead-letters",
                                          {"dead_letters": [d.to_wire() for d in waiting]})
                if not isinstance(answer, dict) or not isinstance(answer.get("stored"), int):
                    raise CentralBadAnswer("dead-letters: expected an object with 'stored'")
                await box.mark_reported([d.id for d in waiting])
                attempt = 0
                link.ctx.state.set_problem("dead letters", "")
                if len(waiting) == REPORT_BATCH:
                    continue
        except (ConnectionError, CentralRefused) as exc:
            link._unreachable(exc, "dead letters")
            await link.pause(attempt)
            attempt += 1
            continue
        except STORE_FAULTS as exc:
            link.ctx.state.set_problem("dead letters", f"cannot record the report: {exc}")
            await link.pause(attempt)
            attempt += 1
            continue
        try:
            await asyncio.wait_for(link.dead_letters_wake.wait(), REPORT_EVERY)
        except TimeoutError:
            pass

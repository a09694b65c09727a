"""Online orders from central: pushed on `/ws/outlet/<id>/`, caught up by `since_id` paging.

The catch-up position (`central_since_id`) moves only past orders durably taken: stored
through the same intake as local orders, or refused for good and stored as a dead letter.
An order the hub cannot store right now (`unavailable`: disk full, database read-only)
stops the catch-up where it is; the channel is dropped and the catch-up retried after a
backoff, so an order paid for online always reaches the kitchen once the hub can store it.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp

from hub.central_errors import STORE_FAULTS, CentralBadAnswer, CentralRefused
from hub.core.errors import ProtocolError
from hub.dead_letters import letter
from hub.store import OrderStore

if TYPE_CHECKING:
    from hub.central_link import CentralLink

log = logging.getLogger(__name__)

PAGE = 500
SERVER_FIELDS = ("id", "rev", "status", "received_at", "updated_at", "acknowledged_by")


class NotTakenYet(Exception):
    """The hub could not store an online order now; the caller retries later, cursor unmoved."""


def central_id(order: Any) -> int:
    """The order's id at central (the catch-up position), or CentralBadAnswer."""
    value = order.get("central_id", order.get("id")) if isinstance(order, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CentralBadAnswer(f"online order without a usable id: {str(order)[:100]}")
    return value


class OnlineOrders:
    """Takes central's online orders into the hub, each exactly once, none skipped."""

    def __init__(self, link: CentralLink) -> None:
        self.link = link
        self.ctx = link.ctx

    async def take(self, order: Any) -> None:
        """Store one online order (a retry is a duplicate), or dead-letter it if refused for good."""
        if isinstance(order, dict):
            order = {k: v for k, v in order.items() if k not in SERVER_FIELDS}
        try:
            await self.ctx.intake.submit(order, transport="central", source="central",
                                         authorized=True)
            return
        except ProtocolError as exc:
            if exc.code == "unavailable":
                raise NotTakenYet(exc.message) from None
            refusal = exc
        key = order.get("uuid", "") if isinstance(order, dict) else ""
        item = letter("online", key, refusal.code,
                      f"{refusal.message}{' (' + refusal.field + ')' if refusal.field else ''}",
                      order)
        try:
            if await self.link.dead_letters.put(item):
                log.error("dead letter: online order %s refused: %s %s", item.key, refusal.code,
                          refusal.message)
        except STORE_FAULTS as exc:
            raise NotTakenYet(f"cannot set the refused order aside: {exc}") from None
        self.link.dead_letters_wake.set()

    async def catch_up(self) -> None:
        """Page through central's online orders after the stored position, taking each."""
        store = self.ctx.store
        since = int(await store.read(partial(OrderStore.get_meta, key="central_since_id")) or 0)
        while True:
            body = await self.link._call("GET", "/api/orders/", params={
                "outlet_id": str(self.ctx.cfg.outlet_id), "since_id": str(since),
                "origin": "central", "limit": str(PAGE)})
            orders = body.get("orders") if isinstance(body, dict) else body
            if not isinstance(orders, list):
                raise CentralBadAnswer("online orders: expected a list of orders")
            ids = [central_id(order) for order in orders]   # the whole page parses, or none
            taken = since
            try:
                for order, oid in zip(orders, ids, strict=True):
                    await self.take(order)
                    taken = max(taken, oid)
            finally:
                if taken > since:
                    await store.set_meta("central_since_id", str(taken))
            since = taken
            if len(orders) < PAGE:
                return

    async def run(self) -> None:
        """Keep the channel open; catch up on every (re)connect; back off after any fault."""
        await self.link.registered.wait()
        link, state = self.link, self.ctx.state
        assert link.session is not None
        ws_base = "ws" + link.base[4:] if link.base.startswith("http") else link.base
        url = f"{ws_base}/ws/outlet/{self.ctx.cfg.outlet_id}/"
        attempt = 0
        while True:
            try:
                async with link.session.ws_connect(url, headers=link._headers(),
                                                   heartbeat=30) as ws:
                    await self.catch_up()
                    attempt = 0
                    state.set_problem("online orders", "")
                    async for msg in ws:
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            break
                        data = json.loads(msg.data)
                        if isinstance(data, dict) and data.get("event") == "new_order":
                            await self.take(data.get("data"))
            except NotTakenYet as exc:
                state.set_problem("online orders", f"cannot store an online order now ({exc}); "
                                                   "retrying")
            except (aiohttp.ClientError, ConnectionError, CentralRefused, TimeoutError,
                    ValueError) as exc:
                log.info("central order channel down: %s", exc)
                state.set_problem("online orders", f"channel down: {type(exc).__name__} {exc}")
            except STORE_FAULTS as exc:
                state.set_problem("online orders", f"database: {exc}")
            await link.pause(attempt)
            attempt += 1

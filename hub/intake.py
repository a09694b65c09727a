"""The one path every write takes, whichever transport carried it (WebSocket, HTTP, MQTT, central).

Validate → durable commit → answer. Counting and authorisation live here too, so the
adapters stay thin and an order means the same thing from every door.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram
from prometheus_client.metrics import MetricWrapperBase

from hub.config import HubConfig
from hub.fanout import Fanout
from hub.metrics import HubMetrics
from hub.store import OrderStore, StoreUnavailable, SubmitResult
from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import iso
from outlet_protocol.orders import (
    fingerprint,
    normalize_order,
    order_key,
    parse_status_update,
)

M = TypeVar("M", bound=MetricWrapperBase)


@dataclass(slots=True)
class PendingOrder:
    """An order validated and queued for the writer, not yet committed."""

    stored: asyncio.Future[SubmitResult]
    transport: str
    started: float


def _unavailable() -> ProtocolError:
    return ProtocolError("unavailable", "the hub cannot store orders right now; "
                         "keep the order and retry with the same uuid")


def _child(cache: dict[str, M], metric: M, label: str) -> M:
    """A metric's label child, resolved once per label value (a dict lookup per order)."""
    child = cache.get(label)
    if child is None:
        child = cache[label] = metric.labels(label)
    return child


def token_matches(presented: str | None, expected: str) -> bool:
    """Constant-time comparison; an unset expected token means writes are open."""
    if not expected:
        return True
    if not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


class OrderIntake:
    """Turns client writes into committed store operations and their replies."""

    def __init__(self, cfg: HubConfig, store: OrderStore, fanout: Fanout,
                 metrics: HubMetrics) -> None:
        self.cfg = cfg
        self.store = store
        self.fanout = fanout
        self.metrics = metrics
        # Label children resolved once: these are counted for every order.
        self._received_children: dict[str, Counter] = {}
        self._ack_children: dict[str, Histogram] = {}

    def require_write(self, authorized: bool) -> None:
        if self.cfg.client_token and not authorized:
            raise ProtocolError("unauthorized", "this hub requires a client token for writes",
                                "token")

    async def submit(self, raw: Any, *, transport: str, source: str,
                     authorized: bool) -> dict[str, Any]:
        """Store an order (or recognise a retry) and return the `ack` payload."""
        return await self.settle(self.begin_submit(raw, transport=transport, source=source,
                                                   authorized=authorized))

    def begin_submit(self, raw: Any, *, transport: str, source: str,
                     authorized: bool) -> PendingOrder:
        """Validate an order and queue it for the writer now, in the caller's turn of the loop.

        Raises ProtocolError for a refused order (counted). Nothing is acknowledged yet: the
        returned future resolves after the COMMIT, and `finish_submit` turns it into the ack.
        The WebSocket adapter calls this straight from its read loop, so an order costs no
        task and reaches the writer without waiting for another turn of the loop.
        """
        started = time.perf_counter()
        try:
            self.require_write(authorized)
            # One clock read per order: received_at and a missing created_at are the same
            # moment anyway, and formatting it was 2 % of the hub's CPU at 1,000/s.
            now = iso()
            order = normalize_order(raw, self.cfg.outlet_id, source=source, now_iso=now)
            try:
                stored = self.store.submit(order, fingerprint(order), now)
            except StoreUnavailable:
                raise _unavailable() from None
        except ProtocolError as exc:
            self.metrics.orders_rejected.labels(exc.code).inc()
            raise
        return PendingOrder(stored, transport, started)

    async def settle(self, pending: PendingOrder) -> dict[str, Any]:
        """Wait for a queued order's COMMIT, then return its `ack` payload."""
        with contextlib.suppress(StoreUnavailable, ProtocolError):
            await pending.stored          # its outcome is read (and counted) below
        return self.finish_submit(pending)

    def finish_submit(self, pending: PendingOrder) -> dict[str, Any]:
        """The `ack` payload of a committed order, or its refusal as ProtocolError (counted)."""
        try:
            try:
                result = pending.stored.result()
            except StoreUnavailable:
                raise _unavailable() from None
        except ProtocolError as exc:
            self.metrics.orders_rejected.labels(exc.code).inc()
            raise
        stored = result.order
        if result.duplicate:
            self.metrics.orders_duplicate.labels(pending.transport).inc()
        else:
            self._received(stored["source"]).inc()
        self._ack_latency(pending.transport).observe(time.perf_counter() - pending.started)
        return {"uuid": stored["uuid"], "order_number": stored["order_number"], "id": stored["id"],
                "rev": stored["rev"], "duplicate": result.duplicate, "status": stored["status"]}

    def _received(self, source: str) -> Counter:
        """`orders_received` for a source, its label child resolved once (every order).

        Keyed by the bounded label (`source_label`), never by the raw source."""
        label = self.metrics.source_label(source)
        return _child(self._received_children, self.metrics.orders_received, label)

    def _ack_latency(self, transport: str) -> Histogram:
        return _child(self._ack_children, self.metrics.ack_latency, transport)

    async def self_test(self) -> dict[str, Any]:
        """A test order through validation and the store's own insert, rolled back: what a
        freshly installed release must pass before it counts (decision 1101). Kitchens,
        MQTT and central never see it; raises if the intake cannot take an order."""
        raw = {"uuid": str(uuid.uuid4()), "order_number": "SELFTEST", "items": [
            {"product_id": 1, "name": "self-test", "qty": 1, "price": "0", "modifiers": []}],
            "total_amount": "0", "order_type": "takeaway"}
        order = normalize_order(raw, self.cfg.outlet_id, source="self-test", now_iso=iso())
        result = await self.store.rehearse(order, fingerprint(order), iso())
        return {"uuid": result.order["uuid"], "id": result.order["id"],
                "rev": result.order["rev"]}

    async def update(self, raw: Any, *, by: str | None, authorized: bool) -> dict[str, Any]:
        """Apply a status change; returns the `ack` payload plus the resulting order."""
        self.require_write(authorized)
        key, status, reason = parse_status_update(raw)
        try:
            result = await self.store.update_status(key, status, reason=reason, by=by,
                                                    now=iso())
        except StoreUnavailable:
            raise ProtocolError("unavailable", "the hub cannot store changes right now") from None
        order = result.order
        if result.changed:
            self.metrics.status_changes.labels(order["status"]).inc()
        return {"uuid": order["uuid"], "order_number": order["order_number"], "id": order["id"],
                "rev": order["rev"], "status": order["status"], "unchanged": not result.changed,
                "order": order}

    async def acknowledge(self, raw: Any, *, client_id: str, authorized: bool) -> dict[str, Any]:
        """A kitchen saw an order: remember it and tell the POS clients."""
        self.require_write(authorized)
        if not isinstance(raw, dict):
            raise ProtocolError("validation_failed", "payload must be an object", "payload")
        key = order_key(raw)
        try:
            result = await self.store.acknowledge(key, client_id)
        except StoreUnavailable:
            raise ProtocolError("unavailable", "the hub cannot store changes right now") from None
        note = {"uuid": result.order["uuid"], "order_number": result.order["order_number"],
                "client_id": client_id, "at": iso()}
        if result.first:
            self.fanout.broadcast({"type": "order_acknowledged", "payload": note},
                                  types=frozenset({"pos"}))
        return note

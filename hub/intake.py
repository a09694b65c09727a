"""The one path every write takes, whichever transport carried it (WebSocket, HTTP, MQTT, central).

Validate → durable commit → answer. Counting and authorisation live here too, so the
adapters stay thin and an order means the same thing from every door.
"""

from __future__ import annotations

import hmac
import time
import uuid
from typing import Any

from hub.config import HubConfig
from hub.fanout import Fanout
from hub.metrics import HubMetrics
from hub.store import OrderStore, StoreUnavailable
from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import iso
from outlet_protocol.orders import (
    fingerprint,
    normalize_order,
    order_key,
    parse_status_update,
)


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

    def require_write(self, authorized: bool) -> None:
        if self.cfg.client_token and not authorized:
            raise ProtocolError("unauthorized", "this hub requires a client token for writes",
                                "token")

    async def submit(self, raw: Any, *, transport: str, source: str,
                     authorized: bool) -> dict[str, Any]:
        """Store an order (or recognise a retry) and return the `ack` payload."""
        started = time.perf_counter()
        try:
            self.require_write(authorized)
            # One clock read per order: received_at and a missing created_at are the same
            # moment anyway, and formatting it was 2 % of the hub's CPU at 1,000/s.
            now = iso()
            order = normalize_order(raw, self.cfg.outlet_id, source=source, now_iso=now)
            try:
                result = await self.store.submit(order, fingerprint(order), now)
            except StoreUnavailable:
                raise ProtocolError("unavailable", "the hub cannot store orders right now; "
                                    "keep the order and retry with the same uuid") from None
        except ProtocolError as exc:
            self.metrics.orders_rejected.labels(exc.code).inc()
            raise
        stored = result.order
        if result.duplicate:
            self.metrics.orders_duplicate.labels(transport).inc()
        else:
            self.metrics.orders_received.labels(self.metrics.source_label(stored["source"])).inc()
        self.metrics.ack_latency.labels(transport).observe(time.perf_counter() - started)
        return {"uuid": stored["uuid"], "order_number": stored["order_number"], "id": stored["id"],
                "rev": stored["rev"], "duplicate": result.duplicate, "status": stored["status"]}

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

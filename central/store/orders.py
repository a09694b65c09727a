"""Orders at central: idempotent ingestion from hubs, status events, online carts, reads.

Ingestion is batch-shaped because the hub's outbox is: one SELECT for the batch's uuids,
one multi-row INSERT for the new ones, one transaction — ~100 orders per round trip.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from central.core import orders as rules
from central.core.errors import ApiError
from central.core.fields import iso
from central.store.schema import order_conflicts, order_events, orders

log = logging.getLogger("central.orders")
_RETRIES = 3
_HUB_ONLY = ("hub_order_id", "hub_rev")


@dataclass
class Outcome:
    """What a write did: per-entry results for the caller and realtime events to publish."""

    results: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, result: dict[str, Any]) -> None:
        self.results.append(result)
        self.counts[result["result"]] = self.counts.get(result["result"], 0) + 1


def order_json(row: Any) -> dict[str, Any]:
    """A stored order as served: docs/protocol.md §1 fields plus central's id and bookkeeping."""
    return dict(row.body, id=row.id, uuid=row.uuid, status=row.status, origin=row.origin,
                hub_id=row.hub_id, hub_order_id=row.hub_order_id, rev=row.last_rev,
                received_at=iso(row.received_at), updated_at=iso(row.updated_at))


def _row_values(order: dict[str, Any], fp: str, origin: str, hub_id: str | None,
                now: float) -> dict[str, Any]:
    body = {k: v for k, v in order.items() if k not in _HUB_ONLY}
    return {
        "uuid": order["uuid"], "outlet_id": order["outlet_id"], "tenant_id": order["tenant_id"],
        "order_number": order["order_number"], "status": order["status"], "origin": origin,
        "source": order["source"], "fingerprint": fp, "body": body, "hub_id": hub_id,
        "hub_order_id": order.get("hub_order_id"), "last_rev": order.get("hub_rev"),
        "total_amount": order["total_amount"], "received_at": now, "updated_at": now,
    }


def _event(outlet_id: int, name: str, data: dict[str, Any], hub_id: str | None) -> dict[str, Any]:
    return {"outlet_id": outlet_id, "event": name, "data": data, "origin_hub": hub_id}


class OrderStore:
    """Queries for orders, their status events and conflicts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _retrying(self, work: Any) -> Outcome:
        """Run `work(conn)` in a transaction; a unique-key race with a concurrent batch of the
        same hub (a retry overtaking its original) is resolved by running it again."""
        for attempt in range(_RETRIES):
            try:
                with self.engine.begin() as conn:
                    result: Outcome = work(conn)
                    return result
            except IntegrityError:
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    # -- hub ingestion ---------------------------------------------------------------------

    def ingest(self, hub_id: str, outlet_id: int, raw_orders: list[Any], now: float) -> Outcome:
        """Store a hub's batch: created | duplicate | conflict | invalid per entry, in order."""
        parsed: list[tuple[dict[str, Any] | None, ApiError | None, str]] = []
        for raw in raw_orders:
            claimed = raw.get("uuid") if isinstance(raw, dict) else None
            label = claimed if isinstance(claimed, str) else ""
            try:
                parsed.append((rules.canonical_order(raw, outlet_id), None, label))
            except ApiError as exc:
                parsed.append((None, exc, label[:100]))
        return self._retrying(lambda conn: self._ingest(conn, hub_id, outlet_id, parsed, now))

    def _ingest(self, conn: Connection, hub_id: str, outlet_id: int,
                parsed: list[tuple[dict[str, Any] | None, ApiError | None, str]],
                now: float) -> Outcome:
        out = Outcome()
        uuids = [o["uuid"] for o, _, _ in parsed if o is not None]
        stored = {r.uuid: r for r in conn.execute(
            select(orders.c.uuid, orders.c.fingerprint, orders.c.last_rev, orders.c.status,
                   orders.c.outlet_id).where(orders.c.uuid.in_(uuids)))} if uuids else {}
        seen: dict[str, str] = {}
        new_rows: list[dict[str, Any]] = []
        for order, error, label in parsed:
            if order is None:
                assert error is not None
                out.add({"uuid": label, "result": "invalid", "error": error.body()["error"]})
                continue
            fp = rules.fingerprint(order)
            uuid = order["uuid"]
            prior = seen.get(uuid) or (stored[uuid].fingerprint if uuid in stored else None)
            decision = rules.ingest_decision(prior, fp)
            if decision == "created":
                seen[uuid] = fp
                new_rows.append(_row_values(order, fp, "hub", hub_id, now))
            elif decision == "conflict":
                assert prior is not None
                log.warning("order conflict: uuid %s from hub %s differs from the stored order",
                            uuid, hub_id)
                conn.execute(insert(order_conflicts).values(
                    uuid=uuid, outlet_id=outlet_id, hub_id=hub_id, stored_fingerprint=prior,
                    incoming_fingerprint=fp, body=order, received_at=now))
            elif uuid in stored and order.get("hub_rev") and rules.event_applies(
                    stored[uuid].last_rev, order["hub_rev"]) and order["status"] != \
                    stored[uuid].status:
                # A resend carrying a newer status than central has: take it.
                conn.execute(update(orders).where(orders.c.uuid == uuid).values(
                    status=order["status"], last_rev=order["hub_rev"], updated_at=now))
            out.add({"uuid": uuid, "result": decision})
        if new_rows:
            created = conn.execute(insert(orders).returning(
                orders.c.id, orders.c.uuid, orders.c.status, orders.c.origin, orders.c.hub_id,
                orders.c.hub_order_id, orders.c.last_rev, orders.c.received_at,
                orders.c.updated_at, orders.c.body, sort_by_parameter_order=True), new_rows)
            for row in created:
                out.events.append(_event(outlet_id, "new_order", order_json(row), hub_id))
        return out

    def apply_events(self, hub_id: str, outlet_id: int, raw_events: list[Any],
                     now: float) -> Outcome:
        """Store a hub's status events: applied | duplicate | unknown_order | invalid."""
        parsed: list[rules.StatusEvent | ApiError] = []
        for raw in raw_events:
            try:
                parsed.append(rules.parse_event(raw))
            except ApiError as exc:
                parsed.append(exc)
        return self._retrying(lambda conn: self._apply(conn, hub_id, outlet_id, parsed, now))

    def _apply(self, conn: Connection, hub_id: str, outlet_id: int,
               parsed: list[rules.StatusEvent | ApiError], now: float) -> Outcome:
        out = Outcome()
        events = [e for e in parsed if isinstance(e, rules.StatusEvent)]
        uuids = list({e.uuid for e in events})
        current = {r.uuid: dict(r._mapping) for r in conn.execute(
            select(orders.c.id, orders.c.uuid, orders.c.status, orders.c.last_rev,
                   orders.c.order_number, orders.c.tenant_id, orders.c.outlet_id)
            .where(orders.c.uuid.in_(uuids)))} if uuids else {}
        known = {(r.order_uuid, r.rev) for r in conn.execute(
            select(order_events.c.order_uuid, order_events.c.rev)
            .where(order_events.c.order_uuid.in_(uuids)))} if uuids else set()
        rows: list[dict[str, Any]] = []
        touched: dict[str, dict[str, Any]] = {}
        for ev in parsed:
            if isinstance(ev, ApiError):
                out.add({"uuid": "", "rev": None, "result": "invalid", "error": ev.body()["error"]})
                continue
            order = current.get(ev.uuid)
            if order is None or order["outlet_id"] != outlet_id:
                out.add({"uuid": ev.uuid, "rev": ev.rev, "result": "unknown_order"})
                continue
            if (ev.uuid, ev.rev) in known:
                out.add({"uuid": ev.uuid, "rev": ev.rev, "result": "duplicate"})
                continue
            known.add((ev.uuid, ev.rev))
            rows.append({"order_uuid": ev.uuid, "rev": ev.rev, "status": ev.status,
                         "from_status": ev.from_status, "at": ev.at or iso(now), "by": ev.by,
                         "reason": ev.reason, "hub_id": hub_id, "received_at": now})
            if rules.event_applies(order["last_rev"], ev.rev):
                order.update(status=ev.status, last_rev=ev.rev)
                touched[ev.uuid] = order
                out.events.append(_event(outlet_id, rules.status_event_name(ev.status), {
                    "id": order["id"], "uuid": ev.uuid, "order_number": order["order_number"],
                    "outlet_id": outlet_id, "tenant_id": order["tenant_id"],
                    "status": ev.status, "from_status": ev.from_status, "rev": ev.rev,
                    "updated_at": iso(now), "by": ev.by, "reason": ev.reason}, hub_id))
            out.add({"uuid": ev.uuid, "rev": ev.rev, "result": "applied"})
        if rows:
            conn.execute(insert(order_events), rows)
        for uuid, order in touched.items():
            conn.execute(update(orders).where(orders.c.uuid == uuid).values(
                status=order["status"], last_rev=order["last_rev"], updated_at=now))
        return out

    # -- online carts ----------------------------------------------------------------------

    def create_group(self, group: list[dict[str, Any]], now: float) -> tuple[Outcome, bool]:
        """Store one cart's orders (origin central); (outcome, all were already stored).

        A resent cart returns the stored orders; the same uuid with other content is a 409.
        """
        def work(conn: Connection) -> Outcome:
            out = Outcome()
            uuids = [o["uuid"] for o in group]
            stored = {r.uuid: r for r in conn.execute(select(orders)
                                                      .where(orders.c.uuid.in_(uuids)))}
            for order in group:
                fp = rules.fingerprint(order)
                row = stored.get(order["uuid"])
                if row is not None:
                    if rules.ingest_decision(row.fingerprint, fp) == "conflict":
                        raise ApiError("conflict", f"uuid {order['uuid']} was used for a "
                                       "different order", "uuids")
                    out.add(dict(order_json(row), result="duplicate"))
                    continue
                new = conn.execute(insert(orders).values(
                    **_row_values(order, fp, "central", None, now)).returning(orders)).one()
                data = order_json(new)
                out.add(dict(data, result="created"))
                out.events.append(_event(order["outlet_id"], "new_order", data, None))
            return out

        outcome = self._retrying(work)
        return outcome, not outcome.events

    # -- reads -------------------------------------------------------------------------------

    def list_orders(self, outlet_id: int | None, since_id: int, origin: str | None,
                    limit: int) -> dict[str, Any]:
        """Orders with id > since_id, ascending: {"orders": [...], "last_id": n}."""
        q = select(orders).where(orders.c.id > since_id).order_by(orders.c.id).limit(limit)
        if outlet_id is not None:
            q = q.where(orders.c.outlet_id == outlet_id)
        if origin is not None:
            q = q.where(orders.c.origin == origin)
        with self.engine.connect() as conn:
            found = [order_json(r) for r in conn.execute(q)]
        return {"orders": found, "last_id": found[-1]["id"] if found else since_id}

    def get_order(self, key: str) -> dict[str, Any]:
        """One order by uuid, or not_found."""
        with self.engine.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.uuid == key)).first()
            if row is None:
                raise ApiError("not_found", f"order {key} does not exist")
            data = order_json(row)
            data["events"] = [
                {"rev": e.rev, "status": e.status, "from_status": e.from_status, "at": e.at,
                 "by": e.by, "reason": e.reason, "hub_id": e.hub_id}
                for e in conn.execute(select(order_events).where(order_events.c.order_uuid == key)
                                      .order_by(order_events.c.rev))]
            return data

    def conflicts(self, outlet_id: int | None, limit: int = 500) -> list[dict[str, Any]]:
        """Conflicting resubmissions, newest first, for the admin to resolve."""
        q = select(order_conflicts).order_by(order_conflicts.c.id.desc()).limit(limit)
        if outlet_id is not None:
            q = q.where(order_conflicts.c.outlet_id == outlet_id)
        with self.engine.connect() as conn:
            return [{"id": r.id, "uuid": r.uuid, "outlet_id": r.outlet_id, "hub_id": r.hub_id,
                     "stored_fingerprint": r.stored_fingerprint,
                     "incoming_fingerprint": r.incoming_fingerprint, "incoming": r.body,
                     "received_at": iso(r.received_at)} for r in conn.execute(q)]

"""Orders and their change feed: the three writes (submit, status, acknowledge) and the reads.

Writes are operations for the store's one `GroupCommitWriter`; reads are static functions
over a connection that the store runs in one snapshot (`OrderStore.read`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, bindparam, select

from hub.core.messages import dumps
from hub.schema import events, orders
from hub.store.engine import sequence
from hub.store.rows import (
    AckResult,
    Change,
    SubmitResult,
    UpdateResult,
    event_row_to_change,
    row_to_order,
)
from hub.store.writer import GroupCommitWriter
from outlet_protocol.errors import ProtocolError
from outlet_protocol.orders import conflict_error, ingest_decision, next_status

# Hot-path statements built once: building a Core statement per call (.values(), .where())
# cost ~0.5 ms of CPU per order in cache-key generation; executing a prebuilt one is cheap.
_BY_UUID = select(orders).where(orders.c.uuid == bindparam("key"))
_BY_NUMBER = (select(orders).where(orders.c.order_number == bindparam("key"))
              .order_by(orders.c.id.desc()).limit(1))
_INSERT_EVENT = events.insert()
_SET_STATUS = (orders.update().where(orders.c.id == bindparam("oid"))
               .values(status=bindparam("new_status"), rev=bindparam("new_rev"),
                       updated_at=bindparam("at"), updated_by=bindparam("who")))
_SET_ACKED = (orders.update().where(orders.c.id == bindparam("oid"))
              .values(acknowledged_by=bindparam("acked")))
_TENANT_MATCH = orders.c.tenant_id.in_(bindparam("tenants", expanding=True)) | orders.c.tenant_id.is_(None)
_SINCE_REV = select(orders).where(orders.c.rev > bindparam("since")).order_by(orders.c.rev)
_SINCE_REV_T = _SINCE_REV.where(_TENANT_MATCH)
_SINCE_ID = select(orders).where(orders.c.id > bindparam("since")).order_by(orders.c.id)
_SINCE_ID_T = _SINCE_ID.where(_TENANT_MATCH)
# The same inserts as plain SQL for the sqlite3 connection (its statement cache keeps
# them prepared). Column lists are spelled out so a new nullable column cannot shift them.
# A uuid already stored makes the insert a no-op (rowcount 0) instead of an error: one
# statement for a new order instead of a lookup then an insert. Only the uuid's conflict
# is caught; a clash on id or rev (a bug) still raises. A skipped insert still raises the
# AUTOINCREMENT mark to the id it offered, so a retry may leave an id unused after a
# restart (a gap, never a reuse: ids and revs only ever grow).
_RAW_INSERT_ORDER = (
    "INSERT INTO orders (id, uuid, order_number, outlet_id, tenant_id, status, source, body, "
    "fingerprint, created_rev, rev, received_at, updated_at, updated_by, acknowledged_by) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uuid) DO NOTHING")
_RAW_INSERT_EVENT = ("INSERT INTO events (rev, order_id, kind, status, from_status, at, by, "
                     "reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
MAX_ACKNOWLEDGERS = 50       # bounds `acknowledged_by`: a kiosk fleet, not every browser tab


class Rehearsed(Exception):
    """Raised by a rehearsal to roll its own savepoint back; carries what it would have stored."""

    def __init__(self, result: SubmitResult) -> None:
        super().__init__("rehearsal rolled back")
        self.result = result


class FeedCounters:
    """The next order id and change-feed rev, kept in memory so `submit` needs no lookup.

    `last_rev` runs ahead inside a batch; `committed_rev` is the highest rev whose commit
    the loop has seen (what a poll may promise).
    """

    __slots__ = ("committed_rev", "last_id", "last_rev")

    def __init__(self) -> None:
        self.last_rev = 0
        self.last_id = 0
        self.committed_rev = 0

    def load(self, conn: Connection) -> None:
        """Take the counters from the file (a new writer connection: nothing is in flight)."""
        self.last_rev = sequence(conn, "events")
        self.last_id = sequence(conn, "orders")
        self.committed_rev = max(self.committed_rev, self.last_rev)

    def catch_up(self, conn: Connection) -> None:
        """After an operation rolled back alone: never hand out an id or rev twice."""
        self.last_rev = max(self.last_rev, sequence(conn, "events"))
        self.last_id = max(self.last_id, sequence(conn, "orders"))


def find(conn: Connection, key: str) -> Any:
    """The order row by uuid, else the newest one with that order number."""
    row = conn.execute(_BY_UUID, {"key": key}).first()
    if row is None:
        row = conn.execute(_BY_NUMBER, {"key": key}).first()
    return row


class OrderWrites:
    """Submit, status change and acknowledgement, each one operation of the writer."""

    def __init__(self, writer: GroupCommitWriter[Change], counters: FeedCounters) -> None:
        self.writer = writer
        self.counters = counters

    def submit(self, order: dict[str, Any], fp: str,
               received_at: str) -> asyncio.Future[SubmitResult]:
        """Store a validated order once; a retry gets the stored result, other content a conflict."""
        return self.writer.submit(self._submit_op(order, fp, received_at))

    def rehearse(self, order: dict[str, Any], fp: str,
                 received_at: str) -> asyncio.Future[SubmitResult]:
        """Run the very insert `submit` runs, read the row back, then roll it back alone:
        the self-test a new release passes before it counts as installed (decision 1101).
        Resolves with the Rehearsed error carrying the result; nothing is committed."""
        insert = self._submit_op(order, fp, received_at)

        counters = self.counters

        def op(conn: Connection, changes: list[Change]) -> SubmitResult:
            before = counters.last_id, counters.last_rev
            try:
                result = insert(conn, changes)
            finally:
                # The rolled-back row must not leave a gap in ids and revs.
                counters.last_id, counters.last_rev = before
            if find(conn, order["uuid"]) is None:
                raise RuntimeError("the self-test order was not readable after its insert")
            raise Rehearsed(result)

        return self.writer.submit(op)

    def _submit_op(self, order: dict[str, Any], fp: str,
                   received_at: str) -> Callable[[Connection, list[Change]], SubmitResult]:
        counters = self.counters

        def op(conn: Connection, changes: list[Change]) -> SubmitResult:
            # The common case (a new order) runs on the sqlite3 connection itself: through
            # SQLAlchemy's execution machinery these two statements cost more CPU than
            # SQLite spends on them (profile, decision 1901). Same SQL, same transaction.
            raw = conn.connection.driver_connection
            assert raw is not None
            oid, rev = counters.last_id + 1, counters.last_rev + 1
            body = dumps({k: v for k, v in order.items() if k != "status"})
            if raw.execute(_RAW_INSERT_ORDER, (
                    oid, order["uuid"], order["order_number"], order["outlet_id"],
                    order["tenant_id"], "pending", order["source"], body, fp, rev, rev,
                    received_at, received_at, None, "[]")).rowcount == 0:
                row = conn.execute(_BY_UUID, {"key": order["uuid"]}).one()
                if ingest_decision(row.fingerprint, fp) == "duplicate":
                    return SubmitResult(row_to_order(row), duplicate=True)
                raise conflict_error()
            raw.execute(_RAW_INSERT_EVENT, (rev, oid, "created", "pending", None, received_at,
                                            None, None))
            counters.last_id, counters.last_rev = oid, rev
            stored = dict(order, id=oid, rev=rev, created_rev=rev, status="pending",
                          received_at=received_at, updated_at=received_at, acknowledged_by=[])
            changes.append(Change(rev, "created", stored, None, order["source"], received_at))
            return SubmitResult(stored, duplicate=False)

        return op

    def update_status(self, key: str, requested: str, *, reason: str | None,
                      by: str | None, now: str) -> asyncio.Future[UpdateResult]:
        """Apply a status change through the status machine; unchanged status is a no-op."""
        counters = self.counters

        def op(conn: Connection, changes: list[Change]) -> UpdateResult:
            row = find(conn, key)
            if row is None:
                raise ProtocolError("not_found", f"no order {key}", "uuid")
            new = next_status(row.status, requested)
            if new == row.status:
                return UpdateResult(row_to_order(row), changed=False, from_status=row.status)
            rev = counters.last_rev + 1
            conn.execute(_SET_STATUS, {"oid": row.id, "new_status": new, "new_rev": rev,
                                       "at": now, "who": by})
            conn.execute(_INSERT_EVENT, {"rev": rev, "order_id": row.id, "kind": "status",
                                         "status": new, "from_status": row.status, "at": now,
                                         "by": by, "reason": reason})
            counters.last_rev = rev
            order = row_to_order(row)
            order.update(status=new, rev=rev, updated_at=now)
            changes.append(Change(rev, "status", order, row.status, by, now))
            return UpdateResult(order, changed=True, from_status=row.status)

        return self.writer.submit(op)

    def acknowledge(self, key: str, client_id: str) -> asyncio.Future[AckResult]:
        """Record that a kitchen client saw an order (not a change-feed entry: no rev bump)."""

        def op(conn: Connection, _changes: list[Change]) -> AckResult:
            row = find(conn, key)
            if row is None:
                raise ProtocolError("not_found", f"no order {key}", "uuid")
            acked: list[str] = json.loads(row.acknowledged_by)
            first = client_id not in acked
            if first and len(acked) < MAX_ACKNOWLEDGERS:
                acked.append(client_id)
                conn.execute(_SET_ACKED, {"oid": row.id, "acked": json.dumps(acked)})
            order = row_to_order(row)
            order["acknowledged_by"] = acked
            return AckResult(order, first)

        return self.writer.submit(op)


# -- reads (each takes a connection inside the caller's snapshot) --------------------------
def _rows_after(conn: Connection, stmt: Any, since: int, tenant_ids: frozenset[int],
                limit: int) -> list[Any]:
    params: dict[str, Any] = {"since": since}
    if tenant_ids:
        params["tenants"] = sorted(tenant_ids)
    return list(conn.execute(stmt.limit(limit), params))


def rows_since_rev(conn: Connection, since_rev: int, tenant_ids: frozenset[int],
                   limit: int) -> list[Any]:
    """Rows of orders changed after `since_rev`, ascending by rev."""
    return _rows_after(conn, _SINCE_REV_T if tenant_ids else _SINCE_REV, since_rev,
                       tenant_ids, limit)


def rows_since_id(conn: Connection, since_id: int, tenant_ids: frozenset[int],
                  limit: int) -> list[Any]:
    """Rows of orders with `id > since_id`, ascending (the seed clients' polling)."""
    return _rows_after(conn, _SINCE_ID_T if tenant_ids else _SINCE_ID, since_id,
                       tenant_ids, limit)


def orders_since_rev(conn: Connection, since_rev: int, tenant_ids: frozenset[int],
                     limit: int) -> tuple[list[dict[str, Any]], int]:
    """Orders changed after `since_rev` (ascending rev) and the feed position to resume from."""
    rows = [row_to_order(r) for r in rows_since_rev(conn, since_rev, tenant_ids, limit)]
    if len(rows) == limit:
        return rows, rows[-1]["rev"]
    return rows, max(sequence(conn, "events"), since_rev)


def orders_since_id(conn: Connection, since_id: int, tenant_ids: frozenset[int],
                    limit: int) -> list[dict[str, Any]]:
    """Orders with `id > since_id`, ascending (the seed clients' polling)."""
    return [row_to_order(r) for r in rows_since_id(conn, since_id, tenant_ids, limit)]


def orders_since_id_at(conn: Connection, since_id: int, tenant_ids: frozenset[int],
                       limit: int) -> tuple[list[dict[str, Any]], int]:
    """`orders_since_id` plus the feed position of the same snapshot."""
    return orders_since_id(conn, since_id, tenant_ids, limit), sequence(conn, "events")


def order_by_key(conn: Connection, key: str) -> dict[str, Any] | None:
    """One order by uuid or order number, or None."""
    row = find(conn, key)
    return None if row is None else row_to_order(row)


def changes_after(conn: Connection, rev: int, limit: int) -> list[Change]:
    """Change-feed entries after `rev`, each with the order as it was at that entry."""
    stmt = (select(events, orders.c.id.label("oid"), orders.c.body, orders.c.created_rev,
                   orders.c.received_at, orders.c.acknowledged_by)
            .join(orders, orders.c.id == events.c.order_id)
            .where(events.c.rev > rev).order_by(events.c.rev).limit(limit))
    return [event_row_to_change(r) for r in conn.execute(stmt)]

"""Dead letters: an order the hub set aside for good, kept with its reason until central has it.

Nothing moves a cursor past an order unless the order was durably taken — stored, or
stored here. Two doors lead here: the outbox (central refuses an order or its batch, 400 or
413, for ever) and online orders (the hub refuses one from central: validation, conflict).
Rows are never deleted by the hub; the reporter sends each to central once
(`POST /api/hubs/dead-letters`, idempotent by (hub, source, key)) and marks it reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.sqlite import insert

from hub.core.orders import utc_now_iso
from hub.metrics import HubMetrics
from hub.schema import dead_letters
from hub.store import Change, OrderStore

# A dead-lettered order may be the 18 MB order central refused with 413: keep enough to
# identify it (uuid, number, items) and say it was cut, not the whole thing.
MAX_BODY_CHARS = 64 * 1024
SOURCES = frozenset({"outbox", "online"})


@dataclass(frozen=True)
class DeadLetter:
    """One order set aside: where it came from, its key, why, and (a bounded copy of) the order."""

    source: str
    key: str
    code: str
    reason: str
    body: str
    at: str
    id: int = 0

    def to_wire(self) -> dict[str, Any]:
        """The object sent to central and shown to the admin."""
        return {"source": self.source, "key": self.key, "code": self.code, "reason": self.reason,
                "order": self.body, "at": self.at}


def bounded_body(value: Any) -> str:
    """The order as JSON text, cut to 64 KiB (with a marker) so one huge order cannot grow us."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > MAX_BODY_CHARS:
        return text[:MAX_BODY_CHARS] + f"…[cut: {len(text)} characters]"
    return text


def letter(source: str, key: Any, code: str, reason: str, body: Any) -> DeadLetter:
    """A dead letter with bounded fields, stamped now."""
    # One line each: central refuses control characters, and a log line stays one line.
    return DeadLetter(source, " ".join(str(key).split())[:100] or "-",
                      " ".join(str(code).split())[:32] or "-",
                      " ".join(str(reason).split())[:300] or "-", bounded_body(body),
                      utc_now_iso())


def for_change(change: Change, code: str, reason: str) -> DeadLetter:
    """The dead letter for one outbox entry central will never take."""
    key = change.order.get("uuid", "")
    if change.kind != "created":
        key = f"{key}@{change.rev}"
    return letter("outbox", key, code, reason, change.order)


class DeadLetterBox:
    """The dead-letter table, written through the store's one writer (same durability)."""

    def __init__(self, store: OrderStore, metrics: HubMetrics) -> None:
        self.store = store
        self.metrics = metrics

    async def put(self, item: DeadLetter) -> bool:
        """Store durably (raises StoreUnavailable if it cannot); False if it was already here."""

        def op(conn: Connection, _changes: list[Change]) -> bool:
            stmt = insert(dead_letters).values(
                source=item.source, key=item.key, code=item.code, reason=item.reason,
                body=item.body, at=item.at, reported_at=None).on_conflict_do_nothing()
            return bool(conn.execute(stmt).rowcount)

        added: bool = await self.store._submit_op(op)
        if added:
            self.metrics.dead_letters.labels(item.source, item.code).inc()
        return added

    async def unreported(self, limit: int) -> list[DeadLetter]:
        """The oldest dead letters central does not have yet."""

        def query(conn: Connection) -> list[DeadLetter]:
            rows = conn.execute(select(dead_letters).where(dead_letters.c.reported_at.is_(None))
                                .order_by(dead_letters.c.id).limit(limit))
            return [DeadLetter(r.source, r.key, r.code, r.reason, r.body, r.at, r.id) for r in rows]

        return await self.store.read(query)

    async def count(self) -> tuple[int, int]:
        """(all dead letters, those not yet reported to central)."""

        def query(conn: Connection) -> tuple[int, int]:
            total = conn.execute(select(func.count()).select_from(dead_letters)).scalar()
            waiting = conn.execute(select(func.count()).select_from(dead_letters)
                                   .where(dead_letters.c.reported_at.is_(None))).scalar()
            return int(total or 0), int(waiting or 0)

        return await self.store.read(query)

    async def mark_reported(self, ids: list[int]) -> None:
        """Central confirmed these rows."""
        at = utc_now_iso()

        def op(conn: Connection, _changes: list[Change]) -> None:
            conn.execute(update(dead_letters).where(dead_letters.c.id.in_(ids))
                         .values(reported_at=at))

        await self.store._submit_op(op)

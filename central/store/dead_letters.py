"""Dead letters hubs reported (issue 13): idempotent by (hub, source, key), listed for the admin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from central.core.fields import iso
from central.store.schema import hub_dead_letters


class DeadLetterStore:
    """The `hub_dead_letters` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, hub_id: str, outlet_id: int, items: list[dict[str, str]],
               now: float) -> int:
        """Store the entries not stored before; returns how many are new (a resend adds none)."""
        t = hub_dead_letters
        added = 0
        for item in items:
            values = {"hub_id": hub_id, "outlet_id": outlet_id, "source": item["source"],
                      "key": item["key"], "code": item["code"], "reason": item["reason"],
                      "body": item["order"], "at": item["at"], "received_at": now}
            # One transaction per entry: a resend hits the unique key and changes nothing,
            # on SQLite and PostgreSQL alike (no dialect-specific upsert).
            try:
                with self.engine.begin() as conn:
                    known = conn.execute(select(t.c.id).where(
                        t.c.hub_id == hub_id, t.c.source == item["source"],
                        t.c.key == item["key"])).first()
                    if known is None:
                        conn.execute(insert(t).values(values))
                        added += 1
            except IntegrityError:  # another central process stored it first
                continue
        return added

    def list(self, outlet_id: int | None, limit: int = 500) -> list[dict[str, Any]]:
        """Newest first, for the admin: where, which order, why."""
        t = hub_dead_letters
        q = select(t).order_by(t.c.id.desc()).limit(limit)
        if outlet_id is not None:
            q = q.where(t.c.outlet_id == outlet_id)
        with self.engine.connect() as conn:
            return [{"id": r.id, "hub_id": r.hub_id, "outlet_id": r.outlet_id,
                     "source": r.source, "key": r.key, "code": r.code, "reason": r.reason,
                     "order": r.body, "at": r.at, "received_at": iso(r.received_at)}
                    for r in conn.execute(q)]

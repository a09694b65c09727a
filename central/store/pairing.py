"""Screens at HQ: the pairing codes hubs report as pending, HQ's answers, and paired devices.

A hub reports its whole pending list and device list each time (`sync`): central keeps
exactly what the hub last said, plus the admin's decision on a code until the hub has
acted on it (the code then disappears from the hub's next report, and from here).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)

from central.core.pairing import DeviceReport, PendingRequest, kitchen_changes
from central.store.fleet import HubPrincipal
from central.store.schema import metadata
from outlet_protocol.fields import iso

pairing_requests = Table(
    "pairing_requests", metadata,
    Column("id", Integer, primary_key=True),
    Column("outlet_id", Integer, nullable=False),
    Column("code", String(6), nullable=False),
    Column("hub_id", String(64), nullable=False),
    Column("client_type", String(16), nullable=False),
    Column("name", String(60), nullable=False),
    Column("tenant_ids", JSON, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("remote", String(64), nullable=False),
    Column("reported_at", Float, nullable=False),
    Column("decision", String(8), nullable=True),          # approve | reject
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", Float, nullable=True),
    UniqueConstraint("outlet_id", "code", name="uq_pairing_requests_outlet_code"),
)

paired_devices = Table(
    "paired_devices", metadata,
    Column("id", Integer, primary_key=True),
    Column("outlet_id", Integer, nullable=False),
    Column("device_id", String(40), nullable=False),
    Column("hub_id", String(64), nullable=False),
    Column("name", String(60), nullable=False),
    Column("client_type", String(16), nullable=False),
    Column("tenant_ids", JSON, nullable=False),
    Column("online", Boolean, nullable=False),
    Column("last_seen", Float, nullable=True),
    Column("reported_at", Float, nullable=False),
    UniqueConstraint("outlet_id", "device_id", name="uq_paired_devices_outlet_device"),
)


class PairingStore:
    """Queries for pending codes, HQ decisions and the screens each outlet has paired."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sync(self, hub: HubPrincipal, requests: list[PendingRequest],
             devices: list[DeviceReport], now: float
             ) -> tuple[list[dict[str, str]], dict[str, tuple[DeviceReport | None, bool]]]:
        """Store the hub's report; return HQ decisions for its codes and kitchen changes."""
        oid = hub.outlet_id
        with self.engine.begin() as conn:
            known = {r.code: r for r in conn.execute(
                select(pairing_requests).where(pairing_requests.c.outlet_id == oid))}
            reported = {r.code for r in requests}
            gone = [c for c in known if c not in reported]
            if gone:
                conn.execute(delete(pairing_requests).where(
                    pairing_requests.c.outlet_id == oid, pairing_requests.c.code.in_(gone)))
            for r in requests:
                values = {"hub_id": hub.hub_id, "client_type": r.client_type, "name": r.name,
                          "tenant_ids": r.tenant_ids, "expires_at": r.expires_at,
                          "remote": r.remote, "reported_at": now}
                if r.code in known:
                    conn.execute(update(pairing_requests).where(
                        pairing_requests.c.id == known[r.code].id).values(**values))
                else:
                    conn.execute(insert(pairing_requests).values(outlet_id=oid, code=r.code,
                                                                 **values))
            decisions = [{"code": c, "decision": row.decision} for c, row in known.items()
                         if c in reported and row.decision]
            before_rows = list(conn.execute(select(paired_devices).where(
                paired_devices.c.outlet_id == oid)))
            conn.execute(delete(paired_devices).where(paired_devices.c.outlet_id == oid))
            if devices:
                conn.execute(insert(paired_devices), [
                    {"outlet_id": oid, "device_id": d.device_id, "hub_id": hub.hub_id,
                     "name": d.name, "client_type": d.client_type, "tenant_ids": d.tenant_ids,
                     "online": d.online, "last_seen": d.last_seen, "reported_at": now}
                    for d in devices])
        before = {r.device_id: bool(r.online) for r in before_rows if r.client_type == "kitchen"}
        after = {d.device_id: d.online for d in devices if d.client_type == "kitchen"}
        by_id = {d.device_id: d for d in devices}
        changes = {d: (by_id.get(d), on) for d, on in kitchen_changes(before, after).items()}
        return decisions, changes

    def pending(self, outlet_id: int, now: float) -> list[dict[str, Any]]:
        """Codes waiting at the outlet that HQ has not answered yet."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(pairing_requests).where(
                pairing_requests.c.outlet_id == outlet_id, pairing_requests.c.decision.is_(None),
                pairing_requests.c.expires_at > now).order_by(pairing_requests.c.id))
            return [{"code": r.code, "hub_id": r.hub_id, "client_type": r.client_type,
                     "name": r.name, "tenant_ids": r.tenant_ids, "remote": r.remote,
                     "expires_at": iso(r.expires_at)} for r in rows]

    def decide(self, outlet_id: int, code: str, approve: bool, by: str, now: float) -> bool:
        """Record HQ's answer; False when no such undecided, unexpired code is pending."""
        with self.engine.begin() as conn:
            done = conn.execute(update(pairing_requests).where(
                pairing_requests.c.outlet_id == outlet_id, pairing_requests.c.code == code,
                pairing_requests.c.decision.is_(None), pairing_requests.c.expires_at > now)
                .values(decision="approve" if approve else "reject", decided_by=by[:100],
                        decided_at=now))
            return done.rowcount == 1

    def devices(self, outlet_id: int | None = None) -> list[Any]:
        """Paired screens as last reported (every outlet's when `outlet_id` is None)."""
        q = select(paired_devices).order_by(paired_devices.c.outlet_id, paired_devices.c.id)
        if outlet_id is not None:
            q = q.where(paired_devices.c.outlet_id == outlet_id)
        with self.engine.connect() as conn:
            return list(conn.execute(q))

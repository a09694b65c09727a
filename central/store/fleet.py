"""Outlets, hubs and enrollment: who may talk for which outlet, and where its hub listens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, or_, select, update

from central.core import credentials, fleet, heartbeats
from central.store.schema import enrollment_tokens, hubs, outlets
from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import iso


@dataclass(frozen=True)
class HubPrincipal:
    """An authenticated hub: its id and the one outlet it may write to."""

    hub_id: str
    outlet_id: int


def _unauthorized(message: str) -> ProtocolError:
    return ProtocolError("unauthorized", message)


class FleetStore:
    """Queries for outlets, hubs, enrollment tokens, registration and heartbeats."""

    def __init__(self, engine: Engine, offline_after: float) -> None:
        self.engine = engine
        self.offline_after = offline_after

    # -- outlets ---------------------------------------------------------------------------

    def outlet_json(self, conn: Connection, row: Any, now: float) -> dict[str, Any]:
        """An outlet in the seed's shape plus `websocket_url_source` and its `hub`."""
        hub = conn.execute(select(hubs).where(hubs.c.outlet_id == row.id)
                           .order_by(hubs.c.last_seen.desc().nulls_last()).limit(1)).first()
        return {
            "id": row.id, "name": row.name, "address": row.address, "is_active": row.is_active,
            "day_starts_at": row.day_starts_at, "timezone": row.timezone,
            "websocket_url": row.websocket_url,
            "websocket_url_source": row.websocket_url_source,
            "locale": row.locale, "currency": row.currency,
            "hub": None if hub is None else {
                "hub_id": hub.hub_id,
                "online": fleet.is_online(hub.last_seen, now, self.offline_after),
                "last_seen": iso(hub.last_seen) if hub.last_seen else None,
                "version": hub.version, "addresses": hub.addresses,
                **fleet.health_figures(hub.last_heartbeat),
            },
        }

    def list_outlets(self, now: float, only: int | None = None) -> list[dict[str, Any]]:
        """Every outlet (or just `only`), ascending by id."""
        with self.engine.connect() as conn:
            q = select(outlets).order_by(outlets.c.id)
            if only is not None:
                q = q.where(outlets.c.id == only)
            return [self.outlet_json(conn, r, now) for r in conn.execute(q)]

    def get_outlet(self, outlet_id: int, now: float) -> dict[str, Any]:
        """One outlet or ProtocolError not_found."""
        found = self.list_outlets(now, only=outlet_id)
        if not found:
            raise ProtocolError("not_found", f"outlet {outlet_id} does not exist")
        return found[0]

    def create_outlet(self, values: dict[str, Any], pin: str | None, now: float,
                      outlet_id: int | None = None) -> dict[str, Any]:
        """A new outlet; `pin` is an admin-set websocket_url."""
        row = dict(values, created_at=now, updated_at=now,
                   websocket_url=pin or fleet.DEFAULT_WEBSOCKET_URL,
                   websocket_url_source="admin" if pin else "default")
        if outlet_id is not None:
            row["id"] = outlet_id
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(outlets).values(**row).returning(outlets.c.id)).scalar_one()
            if outlet_id is not None and conn.dialect.name == "postgresql":
                # An explicit id must not collide with the sequence later.
                conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('outlets','id'), "
                                     "(SELECT MAX(id) FROM outlets))")
            return self.outlet_json(conn, conn.execute(
                select(outlets).where(outlets.c.id == new_id)).one(), now)

    def update_outlet(self, outlet_id: int, values: dict[str, Any],
                      pin: tuple[bool, str | None], now: float) -> dict[str, Any]:
        """Edit an outlet; pin (present, url): a url pins it (source admin), None unpins."""
        changes = dict(values, updated_at=now)
        present, url = pin
        with self.engine.begin() as conn:
            if present and url is not None:
                changes |= {"websocket_url": url, "websocket_url_source": "admin"}
            elif present:
                changes |= self._unpinned_url(conn, outlet_id)
            done = conn.execute(update(outlets).where(outlets.c.id == outlet_id).values(**changes))
            if done.rowcount == 0:
                raise ProtocolError("not_found", f"outlet {outlet_id} does not exist")
            return self.outlet_json(conn, conn.execute(
                select(outlets).where(outlets.c.id == outlet_id)).one(), now)

    def _unpinned_url(self, conn: Connection, outlet_id: int) -> dict[str, Any]:
        """After an unpin the URL follows the hub again: its last reported URL, else default."""
        reported = conn.execute(select(hubs.c.websocket_url).where(hubs.c.outlet_id == outlet_id)
                                .order_by(hubs.c.last_seen.desc().nulls_last()).limit(1)).scalar()
        if reported:
            return {"websocket_url": reported, "websocket_url_source": "hub"}
        return {"websocket_url": fleet.DEFAULT_WEBSOCKET_URL, "websocket_url_source": "default"}

    def outlet_settings(self, outlet_id: int) -> dict[str, Any]:
        """What a hub caches about its outlet on each heartbeat: {locale, currency,
        day_starts_at}."""
        with self.engine.connect() as conn:
            row = conn.execute(select(outlets.c.locale, outlets.c.currency, outlets.c.day_starts_at)
                               .where(outlets.c.id == outlet_id)).first()
        return {} if row is None else {"locale": row.locale, "currency": row.currency,
                                       "day_starts_at": row.day_starts_at}

    def outlet_exists(self, outlet_id: int) -> bool:
        """True if the outlet exists."""
        with self.engine.connect() as conn:
            return conn.execute(select(outlets.c.id).where(outlets.c.id == outlet_id)).first() \
                is not None

    def sold_out(self, outlet_id: int) -> frozenset[int]:
        """Products the outlet's hub last reported sold out (its newest heartbeat wins)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(hubs.c.last_heartbeat).where(hubs.c.outlet_id == outlet_id)
                               .order_by(hubs.c.last_seen.desc().nulls_last()).limit(1)).first()
        snap = (row.last_heartbeat if row is not None else None) or {}
        return frozenset(int(p) for p in snap.get("sold_out") or [])

    # -- enrollment and registration ------------------------------------------------------

    def create_enrollment_token(self, outlet_id: int, now: float, ttl: float) -> tuple[str, float]:
        """A single-use token for one outlet: (token, expires_at). Only its digest is stored."""
        if not self.outlet_exists(outlet_id):
            raise ProtocolError("not_found", f"outlet {outlet_id} does not exist")
        token = credentials.new_token(credentials.ENROLLMENT)
        with self.engine.begin() as conn:
            conn.execute(insert(enrollment_tokens).values(
                outlet_id=outlet_id, token_digest=credentials.digest(token),
                created_at=now, expires_at=now + ttl))
        return token, now + ttl

    def authenticate_hub(self, token: str) -> HubPrincipal | None:
        """The hub a bearer token belongs to, or None."""
        if not token.startswith(credentials.HUB):
            return None
        wanted = credentials.digest(token)
        with self.engine.connect() as conn:
            row = conn.execute(select(hubs.c.hub_id, hubs.c.outlet_id, hubs.c.token_digest)
                               .where(hubs.c.token_digest == wanted)).first()
        if row is None or not credentials.same(row.token_digest, wanted):
            return None
        return HubPrincipal(row.hub_id, row.outlet_id)

    def register(self, reg: fleet.Registration, enrollment_token: str | None,
                 hub_token: str | None, now: float) -> tuple[str | None, dict[str, Any]]:
        """Enroll (first time) or re-register a hub; returns (new hub token or None, outlet)."""
        new_token: str | None = None
        with self.engine.begin() as conn:
            if hub_token:
                wanted = credentials.digest(hub_token)
                hub = conn.execute(select(hubs).where(hubs.c.token_digest == wanted)).first()
                if hub is None or not credentials.same(hub.token_digest, wanted):
                    raise _unauthorized("unknown hub token")
                if hub.outlet_id != reg.outlet_id or hub.hub_id != reg.hub_id:
                    raise ProtocolError("forbidden", f"this hub token belongs to hub {hub.hub_id} "
                                   f"of outlet {hub.outlet_id}", "outlet_id")
            elif enrollment_token:
                self._consume_enrollment(conn, enrollment_token, reg, now)
                new_token = credentials.new_token(credentials.HUB)
                self._enroll_hub(conn, reg, credentials.digest(new_token), now)
            else:
                raise _unauthorized("an enrollment_token or hub token is required")
            seen: dict[str, Any] = {"version": reg.version, "addresses": reg.addresses,
                                    "http_url": reg.http_url, "metrics_port": reg.metrics_port,
                                    "last_seen": now}
            if reg.websocket_url:
                seen["websocket_url"] = reg.websocket_url
            conn.execute(update(hubs).where(hubs.c.hub_id == reg.hub_id).values(**seen))
            self._follow_hub_url(conn, reg.outlet_id, reg.websocket_url, now)
            outlet = conn.execute(select(outlets).where(outlets.c.id == reg.outlet_id)).one()
            return new_token, self.outlet_json(conn, outlet, now)

    def _consume_enrollment(self, conn: Connection, token: str, reg: fleet.Registration,
                            now: float) -> None:
        row = conn.execute(select(enrollment_tokens).where(
            enrollment_tokens.c.token_digest == credentials.digest(token))).first()
        if row is None:
            raise _unauthorized("unknown enrollment token")
        if row.used_at is not None:
            raise _unauthorized("enrollment token already used")
        if row.expires_at <= now:
            raise _unauthorized("enrollment token expired")
        if row.outlet_id != reg.outlet_id:
            raise ProtocolError("forbidden", f"enrollment token is for outlet {row.outlet_id}",
                           "outlet_id")
        # Conditional update: of two hubs racing with one token, exactly one wins.
        won = conn.execute(update(enrollment_tokens).where(
            enrollment_tokens.c.id == row.id, enrollment_tokens.c.used_at.is_(None)).values(
            used_at=now, used_by_hub=reg.hub_id))
        if won.rowcount != 1:
            raise _unauthorized("enrollment token already used")

    def _enroll_hub(self, conn: Connection, reg: fleet.Registration, token_digest: str,
                    now: float) -> None:
        existing = conn.execute(select(hubs.c.id, hubs.c.outlet_id)
                                .where(hubs.c.hub_id == reg.hub_id)).first()
        if existing is not None and existing.outlet_id != reg.outlet_id:
            # Another outlet's enrollment token must not take this hub over (its outlet's
            # orders and screens would follow the attacker). A hub really moved to another
            # outlet enrolls under a new hub_id: a reflashed hub generates one by itself.
            # The enrollment token stays unused (the transaction rolls back).
            raise ProtocolError("conflict", f"hub_id {reg.hub_id} is enrolled for another outlet; "
                           "enroll this hub under a new hub_id", "hub_id")
        if existing is None:
            conn.execute(insert(hubs).values(
                hub_id=reg.hub_id, outlet_id=reg.outlet_id, token_digest=token_digest,
                version=reg.version, addresses=reg.addresses, registered_at=now))
        else:
            # Re-enrolling (a reflashed hub): the old token stops working.
            conn.execute(update(hubs).where(hubs.c.id == existing.id).values(
                outlet_id=reg.outlet_id, token_digest=token_digest, registered_at=now))

    def _follow_hub_url(self, conn: Connection, outlet_id: int, url: str | None,
                        now: float) -> None:
        source = conn.execute(select(outlets.c.websocket_url_source)
                              .where(outlets.c.id == outlet_id)).scalar_one()
        new = fleet.next_websocket_url(source, url)
        if new is not None:
            conn.execute(update(outlets).where(
                outlets.c.id == outlet_id,
                (outlets.c.websocket_url != new) | (outlets.c.websocket_url_source != "hub"))
                .values(websocket_url=new, websocket_url_source="hub", updated_at=now))

    # -- heartbeats and the fleet view ----------------------------------------------------

    def write_heartbeats(self, beats: Sequence[heartbeats.Beat]) -> list[heartbeats.Outcome]:
        """Authenticate and store a batch of heartbeats in one transaction: one SELECT by
        token digest, one executemany UPDATE, a URL follow only where a hub's URL changed."""
        digests = {b.token_digest for b in beats}
        with self.engine.begin() as conn:
            known = {r.token_digest: heartbeats.HubState(
                r.hub_id, r.outlet_id, r.token_digest, r.last_heartbeat, r.last_seen,
                r.offline_announced_at, r.version, r.websocket_url, r.addresses)
                for r in conn.execute(select(
                    hubs.c.hub_id, hubs.c.outlet_id, hubs.c.token_digest, hubs.c.last_heartbeat,
                    hubs.c.last_seen, hubs.c.offline_announced_at, hubs.c.version,
                    hubs.c.websocket_url, hubs.c.addresses)
                    .where(hubs.c.token_digest.in_(digests)))}
            plan = heartbeats.plan_batch(beats, known)
            if plan.rows:
                conn.execute(update(hubs).where(hubs.c.hub_id == bindparam("b_hub_id")).values(
                    last_seen=bindparam("b_last_seen"),
                    last_heartbeat=bindparam("b_last_heartbeat"),
                    version=bindparam("b_version"), websocket_url=bindparam("b_websocket_url"),
                    addresses=bindparam("b_addresses")), plan.rows)
            for outlet_id, url, at in plan.follow_urls:
                self._follow_hub_url(conn, outlet_id, url, at)
        return plan.outcomes

    def sweep_offline(self, now: float) -> list[HubPrincipal]:
        """Claim the hubs that went offline since the last sweep (each offline episode once,
        whichever central process sweeps first); returns those that are their outlet's
        current hub, for a `kitchen_status_changed` announcement."""
        cutoff = now - self.offline_after
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(hubs).where(
                    hubs.c.last_seen.is_not(None), hubs.c.last_seen < cutoff,
                    or_(hubs.c.offline_announced_at.is_(None),
                        hubs.c.offline_announced_at < hubs.c.last_seen))
                .values(offline_announced_at=now)
                .returning(hubs.c.hub_id, hubs.c.outlet_id, hubs.c.last_seen)).all()
            if not claimed:
                return []
            latest = {r.outlet_id: r.seen for r in conn.execute(
                select(hubs.c.outlet_id, func.max(hubs.c.last_seen).label("seen"))
                .where(hubs.c.outlet_id.in_({c.outlet_id for c in claimed}))
                .group_by(hubs.c.outlet_id))}
        # A replaced hub ageing out must not tell the outlet its kitchens are gone.
        return [HubPrincipal(c.hub_id, c.outlet_id) for c in claimed
                if c.last_seen >= latest[c.outlet_id]]

    def fleet_rows(self) -> tuple[list[Any], list[Any]]:
        """(outlets, hubs) rows for /metrics and service discovery."""
        with self.engine.connect() as conn:
            outs = list(conn.execute(select(outlets.c.id, outlets.c.name).order_by(outlets.c.id)))
            hub_rows = list(conn.execute(select(
                hubs.c.hub_id, hubs.c.outlet_id, hubs.c.last_seen, hubs.c.last_heartbeat,
                hubs.c.addresses, hubs.c.metrics_port, hubs.c.http_url, hubs.c.websocket_url,
                hubs.c.version).order_by(hubs.c.id)))
        return outs, hub_rows

    def count_outlets(self) -> int:
        """How many outlets exist."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(outlets)).scalar_one())

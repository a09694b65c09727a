"""The hub's paired screens: token → device, pairing requests, revocation, last seen.

Tokens are looked up by their SHA-256 in memory (one dict lookup per request); the
database is the truth and is shared with the console commands, whose revocations the
sync loop picks up within a second. HTTP revocation closes the device's sockets at once.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine

from hub import devices_db as db
from hub.config import HubConfig
from hub.core.pairing import (
    ANONYMOUS,
    INVALID,
    LEGACY,
    MAX_NAME,
    MAX_TENANTS,
    REQUEST_TTL,
    ROLES,
    PinGuard,
    Principal,
    new_code,
    new_device_id,
    new_request_id,
    new_token,
    refusal,
    token_hash,
    visible_status,
)
from hub.core.pins import verify_pin
from hub.core.ratelimit import TokenBucket
from hub.intake import token_matches
from hub.metrics import HubMetrics
from hub.store import make_engine
from outlet_protocol.errors import ProtocolError
from outlet_protocol.feed import parse_tenant_ids

log = logging.getLogger(__name__)

SYNC_EVERY = 1.0              # console revocations reach the hub within this
RESYNC_EVERY = 60.0           # the revocation table is read anyway this often (see below)
FLUSH_SEEN_EVERY = 15.0       # last_seen is written in batches, not per request
ONLINE_WINDOW = 30.0          # a polling screen counts as online this long after a poll
MAX_PENDING = 64              # live pairing requests at once, whatever the addresses
CREATE_RATE, CREATE_BURST = 1 / 10, 20.0   # a page reloading now and then; not a spray
MAX_BUCKETS = 4096


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Device:
    """A paired screen as the hub holds it in memory."""

    device_id: str
    name: str
    client_type: str
    tenant_ids: frozenset[int]
    token_hash: str
    paired_at: float
    remote: str
    last_seen: float | None = None
    polled_at: float | None = None     # last HTTP request (a polling screen's heartbeat)
    sockets: set[Callable[[], None]] = field(default_factory=set)

    @property
    def principal(self) -> Principal:
        return Principal("device", self.device_id, self.client_type, self.tenant_ids)

    def online(self, now: float) -> bool:
        return bool(self.sockets) or (self.polled_at is not None
                                      and now - self.polled_at < ONLINE_WINDOW)

    def describe(self, now: float) -> dict[str, Any]:
        return {"device_id": self.device_id, "name": self.name, "client_type": self.client_type,
                "tenant_ids": sorted(self.tenant_ids), "paired_at": iso(self.paired_at),
                "last_seen": iso(self.last_seen), "remote": self.remote,
                "online": self.online(now)}


def _from_row(row: db.DeviceRow) -> Device:
    return Device(row.device_id, row.name, row.client_type, frozenset(row.tenant_ids),
                  row.token_hash, row.paired_at, row.remote, row.last_seen)


class DeviceRegistry:
    """Pairing, authorisation and revocation for one hub."""

    def __init__(self, cfg: HubConfig, metrics: HubMetrics) -> None:
        self.cfg = cfg
        self.metrics = metrics
        self.engine: Engine | None = None
        self.devices: dict[str, Device] = {}
        self.by_hash: dict[str, Device] = {}
        self.pins = PinGuard()
        self.buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self.dirty_seen: dict[str, float] = {}
        self.fault = ""               # why the device sync loop is failing, for /health
        # Called whenever the set of devices or their online state may have changed.
        self.listeners: list[Callable[[], None]] = []

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self.engine = make_engine(self.cfg.db_path)
        rows = await self._read(db.all_devices)
        for row in rows:
            if row.revoked_at is None:
                self._remember(_from_row(row))

    async def stop(self) -> None:
        await self.flush_seen()
        if self.engine is not None:
            self.engine.dispose()

    async def _read(self, fn: Callable[..., Any]) -> Any:
        assert self.engine is not None
        return await asyncio.to_thread(db.read, self.engine, fn)

    async def _write(self, fn: Callable[..., Any]) -> Any:
        assert self.engine is not None
        return await asyncio.to_thread(db.write, self.engine, fn)

    def _remember(self, device: Device) -> None:
        self.devices[device.device_id] = device
        self.by_hash[device.token_hash] = device

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    # -- who is asking ---------------------------------------------------------------------
    def principal(self, token: str | None) -> Principal:
        """Legacy shared token, a live device, or nobody/invalid; constant-time compares."""
        if not token:
            return ANONYMOUS
        if self.cfg.client_token and token_matches(token, self.cfg.client_token):
            return LEGACY
        digest = token_hash(token)
        device = self.by_hash.get(digest)
        if device is None or not hmac.compare_digest(device.token_hash, digest):
            return INVALID
        return device.principal

    def authorize(self, who: Principal, action: str, *, poll: bool = False) -> None:
        """Raise `unauthorized`/`forbidden` when pairing is required and `who` may not act."""
        if who.kind == "device" and who.device_id not in self.devices:
            who = INVALID                   # revoked since the socket opened
        code = refusal(self.cfg.pairing_required, who, action)
        if code == "unauthorized":
            raise ProtocolError("unauthorized", "a paired device token is required; pair this "
                                "screen first (docs/protocol.md §7)", "token")
        if code == "forbidden":
            raise ProtocolError("forbidden", f"a {who.role} screen may not {action}", "token")
        if who.device_id is not None:
            self.seen(who.device_id, poll=poll)

    def seen(self, device_id: str, *, poll: bool = False) -> None:
        """Note a sign of life; an HTTP request (`poll`) keeps a screen online for 30 s."""
        device = self.devices.get(device_id)
        if device is not None:
            now = time.time()
            was_online = device.online(now)
            device.last_seen = self.dirty_seen[device_id] = now
            if poll:
                device.polled_at = now
            if was_online != device.online(now):
                self._changed()

    def attach(self, device_id: str, close: Callable[[], None]) -> bool:
        """Register a socket's closer; False when the device is gone (revoked)."""
        device = self.devices.get(device_id)
        if device is None:
            return False
        device.sockets.add(close)
        self.seen(device_id)
        self._changed()
        return True

    def detach(self, device_id: str, close: Callable[[], None]) -> None:
        device = self.devices.get(device_id)
        if device is not None:
            device.sockets.discard(close)
            self.seen(device_id)
            self._changed()

    # -- the manager PIN -------------------------------------------------------------------
    def check_pin(self, pin: Any, remote: str) -> None:
        """Refuse a locked-out address before hearing the PIN; count wrong ones."""
        now = time.monotonic()
        if self.pins.locked(remote, now):
            raise ProtocolError("rate_limited", "too many wrong PINs; try again in 5 minutes",
                                "pin")
        if not self.cfg.manager_pin:
            raise ProtocolError("forbidden", "no manager PIN is set on this hub; approve from "
                                "HQ or with `outlet-hub pair CODE` on the console", "pin")
        if not isinstance(pin, str) or not verify_pin(pin, self.cfg.manager_pin):
            self.metrics.pin_failures.inc()
            locked = self.pins.failed(remote, now)
            log.warning("wrong manager PIN from %s%s", remote, " (locked out 5 min)" if locked else "")
            raise ProtocolError("unauthorized", "wrong manager PIN", "pin")
        self.pins.succeeded(remote)

    # -- pairing ---------------------------------------------------------------------------
    async def create_request(self, body: Any, remote: str) -> dict[str, Any]:
        bucket = self.buckets.get(remote)
        if bucket is None:
            bucket = self.buckets[remote] = TokenBucket(CREATE_RATE, CREATE_BURST)
            while len(self.buckets) > MAX_BUCKETS:
                self.buckets.popitem(last=False)
        if not bucket.allow(time.monotonic()):
            raise ProtocolError("rate_limited", "too many pairing requests from this address")
        client_type, name, tenants = _parse_request(body)
        now = time.time()

        def op(conn: Any) -> db.RequestRow:
            if db.count_pending(conn, now) >= MAX_PENDING:
                raise ProtocolError("rate_limited", "too many screens waiting to be paired")
            req = db.RequestRow(new_request_id(), new_code(db.live_codes(conn, now)), client_type,
                                name, sorted(tenants), now, now + REQUEST_TTL, "pending", None,
                                None, remote[:64])
            db.insert_request(conn, req)
            return req

        req = await self._write(op)
        log.info("pairing requested: %s %r from %s (code %s)", client_type, name, remote, req.code)
        self._changed()
        return {"request_id": req.request_id, "code": req.code, "expires_at": iso(req.expires_at),
                "client_type": client_type, "name": name, "tenant_ids": sorted(tenants)}

    async def poll(self, request_id: str) -> dict[str, Any]:
        """The request's status; the token only on the first read after approval."""
        if not request_id or len(request_id) > 40:
            raise ProtocolError("not_found", "no such pairing request", "request_id")
        now = time.time()
        req = await self._read(partial(db.get_request, request_id=request_id))
        if req is None:
            raise ProtocolError("not_found", "no such pairing request", "request_id")
        status = visible_status(req.status, req.expires_at, now)
        out: dict[str, Any] = {"status": status, "expires_at": iso(req.expires_at)}
        if status == "approved":
            out["device_id"] = req.device_id
        if status == "approved" and req.status == "approved":
            token = new_token()
            row = await self._write(partial(db.collect, request_id=request_id,
                                            token_hash=token_hash(token), now=now))
            if row is not None:
                self._remember(_from_row(row))
                out.update(token=token, client_type=row.client_type, name=row.name,
                           tenant_ids=row.tenant_ids)
                log.info("device %s (%s %r) paired", row.device_id, row.client_type, row.name)
                self._changed()
        return out

    async def decide(self, code: Any, approve: bool, by: str) -> dict[str, Any]:
        """Approve or reject the pending request with `code` (PIN, central or console)."""
        if not isinstance(code, str) or not (len(code) == 6 and code.isdigit()):
            raise ProtocolError("validation_failed", "code must be 6 digits", "code")
        req = await self._write(partial(db.decide, code=code, approve=approve, by=by,
                                        device_id=new_device_id(), now=time.time(),
                                        ttl=REQUEST_TTL))
        if req is None:
            raise ProtocolError("not_found", f"no pending pairing request with code {code}", "code")
        log.info("pairing code %s %s by %s", code, req.status, by)
        self._changed()
        return {"code": code, "status": req.status, "device_id": req.device_id,
                "client_type": req.client_type, "name": req.name, "tenant_ids": req.tenant_ids}

    async def pending(self) -> list[dict[str, Any]]:
        rows = await self._read(partial(db.pending_requests, now=time.time()))
        return [{"code": r.code, "client_type": r.client_type, "name": r.name,
                 "tenant_ids": r.tenant_ids, "requested_at": iso(r.created_at),
                 "expires_at": iso(r.expires_at), "remote": r.remote} for r in rows]

    # -- devices ---------------------------------------------------------------------------
    def listing(self) -> list[dict[str, Any]]:
        now = time.time()
        return [d.describe(now) for d in self.devices.values()]

    async def revoke(self, device_id: str) -> bool:
        """Forget the token now and close the device's sockets (4001); then persist."""
        device = self.devices.get(device_id)
        if device is None:
            return False
        self._forget(device)
        await self._write(partial(db.revoke, device_id=device_id, now=time.time()))
        return True

    def _forget(self, device: Device) -> None:
        self.devices.pop(device.device_id, None)
        self.by_hash.pop(device.token_hash, None)
        self.dirty_seen.pop(device.device_id, None)
        for close in list(device.sockets):
            close()
        device.sockets.clear()
        log.info("device %s (%s %r) revoked", device.device_id, device.client_type, device.name)
        self._changed()

    async def flush_seen(self) -> None:
        if not self.dirty_seen or self.engine is None:
            return
        batch, self.dirty_seen = self.dirty_seen, {}
        await self._write(partial(db.touch, seen=batch))

    async def sync_loop(self) -> None:
        """Pick up console revocations each second; write last_seen every 15 s; never dies.

        The table is read when the console's revocations log changed (one `stat` a second
        otherwise), and every RESYNC_EVERY whatever the log says: a console killed between
        its commit and its note, or one from before the log existed, is still obeyed. While
        a read fails it is retried every second, so /health clears as soon as it works.
        """
        last_flush = time.monotonic()
        online = {d for d, dev in self.devices.items() if dev.online(time.time())}
        seen_stamp = db.revocations_stamp(self.cfg.db_path)
        last_read = time.monotonic()          # start() has just read every device
        while True:
            await asyncio.sleep(SYNC_EVERY)
            try:
                stamp = db.revocations_stamp(self.cfg.db_path)   # before the read it triggers
                if (stamp != seen_stamp or self.fault
                        or time.monotonic() - last_read >= RESYNC_EVERY):
                    for device_id in await self._read(db.revoked_ids):
                        if device_id in self.devices:
                            self._forget(self.devices[device_id])
                    seen_stamp, last_read = stamp, time.monotonic()
                if time.monotonic() - last_flush >= FLUSH_SEEN_EVERY:
                    last_flush = time.monotonic()
                    await self.flush_seen()
                now_online = {d for d, dev in self.devices.items() if dev.online(time.time())}
                if now_online != online:
                    online = now_online
                    self._changed()
                self.fault = ""
            except Exception as exc:
                if not self.fault:
                    log.exception("device sync failed; retrying every %.0f s", SYNC_EVERY)
                self.fault = f"paired-device sync failing: {exc}"[:200]


def _parse_request(body: Any) -> tuple[str, str, frozenset[int]]:
    if not isinstance(body, dict):
        raise ProtocolError("validation_failed", "body must be an object", "client_type")
    client_type = body.get("client_type")
    if client_type not in ROLES:
        raise ProtocolError("validation_failed", f"client_type must be one of {', '.join(ROLES)}",
                            "client_type")
    name = body.get("name")
    if name is None:
        name = client_type
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise ProtocolError("validation_failed", f"name: 1 to {MAX_NAME} characters", "name")
    raw = body.get("tenant_ids") or []
    if not isinstance(raw, list) or len(raw) > MAX_TENANTS:
        raise ProtocolError("validation_failed", f"tenant_ids: a list of at most {MAX_TENANTS}",
                            "tenant_ids")
    try:
        tenants = parse_tenant_ids(raw)
    except ValueError as exc:
        raise ProtocolError("validation_failed", str(exc), "tenant_ids") from None
    return client_type, name.strip(), tenants

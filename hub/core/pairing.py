"""Pairing and device roles as decisions: who may do what, PIN lockout, request lifecycle.

No I/O and no clock reads: callers pass `now`, so the rules are tested as arithmetic.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

ROLES = ("pos", "kitchen", "board", "display")

# Actions a request or message needs; the table is the whole role policy.
READ, SUBMIT, UPDATE_STATUS, ACK = "read", "submit", "update_status", "ack"
# Marking a product sold out (issue 14): the cook who runs out and the cashier who is told
# so both may; boards and displays only show.
SELL_OUT = "sell_out"
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "pos": frozenset({READ, SUBMIT, SELL_OUT}),
    "kitchen": frozenset({READ, UPDATE_STATUS, ACK, SELL_OUT}),
    "board": frozenset({READ}),
    "display": frozenset({READ}),
}

REQUEST_TTL = 600.0            # a pairing code lives 10 minutes
PIN_MAX_FAILURES = 5
PIN_LOCKOUT = 300.0            # 5 wrong PINs → 5 minutes of 429, even for the right PIN
MAX_TRACKED_ADDRESSES = 4096   # bounded memory under a spray from many addresses
MAX_NAME = 60
MAX_TENANTS = 32


@dataclass(frozen=True)
class Principal:
    """Who sent a request: nobody, the legacy shared token, a device, or a bad token."""

    kind: str                                  # anonymous | legacy | device | invalid
    device_id: str | None = None
    role: str | None = None
    tenant_ids: frozenset[int] = frozenset()


ANONYMOUS = Principal("anonymous")
INVALID = Principal("invalid")
LEGACY = Principal("legacy")


def refusal(required: bool, who: Principal, action: str) -> str | None:
    """The error code refusing `action` to `who`, or None when it is allowed.

    With pairing off the caller keeps the pre-pairing rules (open, or the legacy token
    for writes); with pairing required a device token of a role that may act is needed.
    """
    if not required or who.kind == "legacy":
        return None
    if who.kind != "device" or who.role not in ROLE_ACTIONS:
        return "unauthorized"
    return None if action in ROLE_ACTIONS[who.role] else "forbidden"


def bounded_tenants(who: Principal, asked: frozenset[int]) -> frozenset[int] | None:
    """The tenant filter a device may use: its own tenants bound what it asks; None if outside."""
    if who.kind != "device" or not who.tenant_ids:
        return asked
    if not asked:
        return who.tenant_ids
    return asked if asked <= who.tenant_ids else None


def token_hash(token: str) -> str:
    """What is stored for a device token: SHA-256 hex (the token is 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_request_id() -> str:
    """Unguessable: whoever holds it collects the token once the request is approved."""
    return secrets.token_urlsafe(18)


def new_device_id() -> str:
    return "dev-" + secrets.token_hex(6)


def new_code(taken: set[str]) -> str:
    """Six digits not used by another live request."""
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        if code not in taken:
            return code


def visible_status(status: str, expires_at: float, now: float) -> str:
    """pending|approved|rejected|expired as a poller sees it (collected reads as approved)."""
    if status == "collected":
        return "approved"
    if status in ("pending", "approved") and now >= expires_at:
        return "expired"
    return status


@dataclass
class _Failures:
    count: int = 0
    first: float = 0.0
    locked_until: float = 0.0


@dataclass
class PinGuard:
    """Counts wrong PINs per address; the 6th try inside the lockout is refused unheard."""

    failures: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)

    def locked(self, address: str, now: float) -> bool:
        entry = self.failures.get(address)
        if entry is None:
            return False
        if entry.locked_until and now >= entry.locked_until:
            del self.failures[address]
            return False
        return entry.locked_until > now

    def failed(self, address: str, now: float) -> bool:
        """Record a wrong PIN; True when this one locks the address out."""
        entry = self.failures.get(address)
        if entry is None or now - entry.first > PIN_LOCKOUT:
            entry = _Failures(first=now)
            self.failures[address] = entry
        self.failures.move_to_end(address)
        entry.count += 1
        if entry.count >= PIN_MAX_FAILURES:
            entry.locked_until = now + PIN_LOCKOUT
        while len(self.failures) > MAX_TRACKED_ADDRESSES:
            self.failures.popitem(last=False)
        return entry.count >= PIN_MAX_FAILURES

    def succeeded(self, address: str) -> None:
        self.failures.pop(address, None)

"""Secrets: random tokens stored only as digests, argon2 passwords, derived display tokens.

Kinds are told apart by prefix (`hub_`, `adm_`, `enr_`, `dsp_`) so a request's bearer token
is checked against exactly one table. Hub, admin and enrollment tokens carry 256 random
bits, so a plain SHA-256 digest is enough to store them (nothing to brute-force); admin
*passwords* are low-entropy and get argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HUB, ADMIN, ENROLLMENT, DISPLAY = "hub_", "adm_", "enr_", "dsp_"
_PASSWORDS = PasswordHasher()


def new_token(kind: str) -> str:
    """A fresh random token of `kind` (one of the prefixes above)."""
    return kind + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What the database stores for a random token."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets or digests."""
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    """argon2id hash of an admin password."""
    return _PASSWORDS.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches; never raises for a wrong or malformed hash."""
    try:
        return _PASSWORDS.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def display_token(secret: str, outlet_id: int) -> str:
    """The outlet's read-only kitchen-screen token: derived, so stable and never stored.

    Rotating the server secret (table `server_secrets`) revokes every display token at once.
    """
    mac = hmac.new(secret.encode(), f"display:{outlet_id}".encode(), hashlib.sha256).hexdigest()
    return f"{DISPLAY}{outlet_id}_{mac[:40]}"


def display_token_outlet(secret: str, token: str) -> int | None:
    """The outlet a display token grants read access to, or None if it is not genuine."""
    if not token.startswith(DISPLAY):
        return None
    head, _, _ = token[len(DISPLAY):].partition("_")
    if not head.isdigit() or len(head) > 12:
        return None
    outlet_id = int(head)
    return outlet_id if same(display_token(secret, outlet_id), token) else None


@dataclass
class FailureThrottle:
    """Refuse an address after `limit` failed credential attempts within `window` seconds.

    Sans-I/O: the caller passes the clock. Per process and in memory on purpose — a
    guesser spread over processes still gets limit x processes tries per window, which
    against 256-bit tokens is irrelevant; the throttle is there to stop noise and log floods.
    """

    limit: int = 10
    window: float = 60.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def blocked(self, address: str, now: float) -> bool:
        """True while `address` has used up its failures in the current window."""
        q = self._failures.get(address)
        if not q:
            return False
        while q and q[0] <= now - self.window:
            q.popleft()
        if not q:
            del self._failures[address]
            return False
        return len(q) >= self.limit

    def failed(self, address: str, now: float) -> None:
        """Record one failed attempt from `address`."""
        q = self._failures.setdefault(address, deque())
        q.append(now)
        while len(q) > self.limit:
            q.popleft()
        if len(self._failures) > 100_000:  # bound memory under a spray of addresses
            self._failures.pop(next(iter(self._failures)))

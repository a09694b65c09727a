"""Manager PINs at rest: a salted scrypt hash, verified in constant time, never kept in clear."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# 16 MiB and ~50 ms per check: a stolen config does not give the PIN away by lookup table,
# and the lockout (core/pairing.PinGuard) bounds online guessing.
_N, _R, _P = 2**14, 8, 1
_PREFIX = "scrypt$"


def _derive(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def hash_pin(pin: str) -> str:
    """`scrypt$<salt>$<hash>` (base64) of a PIN."""
    salt = secrets.token_bytes(16)
    enc = base64.b64encode
    return f"{_PREFIX}{enc(salt).decode()}${enc(_derive(pin, salt)).decode()}"


def is_pin_hash(value: str) -> bool:
    return value.startswith(_PREFIX) and value.count("$") == 2


def verify_pin(pin: str, stored: str) -> bool:
    """True when `pin` hashes to `stored`; False for an unset or malformed stored hash."""
    if not stored or not is_pin_hash(stored) or not isinstance(pin, str) or len(pin) > 64:
        return False
    _, salt_b64, digest_b64 = stored.split("$")
    try:
        salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        return False
    return hmac.compare_digest(_derive(pin, salt), digest)

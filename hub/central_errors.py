"""How a call to central can fail, and which faults of the hub's own database a loop waits out."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from hub.store import StoreUnavailable

# Faults of the hub's own database that a loop waits out (disk full, read-only, busy).
STORE_FAULTS = (StoreUnavailable, OperationalError)


class CentralRefused(Exception):
    """Central answered, but no: bad or revoked credentials, or a request it will never accept."""


class CentralHTTPError(ConnectionError):
    """Central answered with an HTTP error status (retried, unless the caller knows better)."""

    def __init__(self, message: str, status: int, text: str) -> None:
        super().__init__(message)
        self.status = status
        self.text = text


class CentralBadAnswer(ConnectionError):
    """Central answered 2xx with something that is not the documented shape (retried)."""

"""Error values users can act on: a code from docs/protocol.md, a message and the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# docs/protocol.md §2, with the HTTP status each maps to on the HTTP API.
HTTP_STATUS = {
    "invalid_json": 400,
    "invalid_message": 400,
    "unknown_type": 400,
    "validation_failed": 400,
    "conflict": 409,
    "outlet_mismatch": 400,
    "invalid_transition": 409,
    "not_found": 404,
    "unauthorized": 401,
    "forbidden": 403,
    "rate_limited": 429,
    "too_large": 413,
    "unavailable": 503,
}


@dataclass(frozen=True)
class ProtocolError(Exception):
    """A refusal with the protocol's error code; never a crash."""

    code: str
    message: str
    field: str | None = None

    def __post_init__(self) -> None:
        if self.code not in HTTP_STATUS:
            raise ValueError(f"unknown error code {self.code}")

    def to_payload(self, ref: str | None = None) -> dict[str, Any]:
        """The body of a WebSocket `error` message (and of an HTTP error)."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if ref is not None:
            out["ref"] = ref
        return out

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

"""Errors as values a caller can act on: a code, a message, the field, the HTTP status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HTTP_STATUS = {
    "invalid_json": 400,
    "validation_failed": 400,
    "outlet_mismatch": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "invalid_transition": 409,
    "too_large": 413,
    "rate_limited": 429,
    "unavailable": 503,
}


# Not frozen: the interpreter sets __traceback__ on exceptions as they propagate.
@dataclass(eq=False)
class ApiError(Exception):
    """A refusal with a docs/protocol.md error code; rendered as {"error": {code, message, field?}}."""

    code: str
    message: str
    field: str | None = None

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def body(self) -> dict[str, Any]:
        """The JSON error object of docs/protocol.md §3."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            err["field"] = self.field
        return {"error": err}


def invalid(field: str, message: str) -> ApiError:
    """A validation failure naming the offending field."""
    return ApiError("validation_failed", message, field)

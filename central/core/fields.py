"""Field parsers shared by every payload central accepts: text, integers, money, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from central.core.errors import invalid
from hub.core import bounds

# The limits themselves live in hub/core/bounds.py, so hub and central refuse the same
# input (one place until issue 13's shared order package exists).


def text(value: Any, field: str, max_len: int, *, required: bool = False,
         default: str | None = "") -> str | None:
    """A trimmed string without control characters, or `default` when absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(field, f"{field} is required")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid(field, f"{field} must be a string")
    try:
        return bounds.bounded_text(str(value).strip(), max_len)
    except bounds.BoundsError as exc:
        raise invalid(field, f"{field} {exc}") from None


def required_text(value: Any, field: str, max_len: int) -> str:
    """Like `text`, but absence is an error."""
    out = text(value, field, max_len, required=True)
    assert out is not None
    return out


def integer(value: Any, field: str, *, minimum: int = 1, maximum: int = bounds.MAX_INT) -> int:
    """An integer (ASCII digits in a string accepted) within [minimum, maximum]."""
    try:
        return bounds.bounded_int(value, minimum, maximum)
    except bounds.BoundsError as exc:
        raise invalid(field, f"{field} {exc}") from None


def optional_integer(value: Any, field: str, *, minimum: int = 1) -> int | None:
    """`integer`, with None/"" meaning absent."""
    if value is None or value == "":
        return None
    return integer(value, field, minimum=minimum)


def money(value: Any, field: str) -> str:
    """A non-negative decimal amount as a canonical string ("45000", "12.5"); never a float."""
    try:
        return bounds.money(value)
    except bounds.BoundsError as exc:
        raise invalid(field, f"{field} {exc}") from None


def timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive input is taken as UTC)."""
    if not isinstance(value, str) or not value:
        raise invalid(field, f"{field} must be an ISO 8601 timestamp")
    try:
        return bounds.timestamp(value)
    except bounds.BoundsError as exc:
        raise invalid(field, f"{field} {exc}") from None


def iso(moment: datetime | float) -> str:
    """Timestamps on the wire: UTC, ISO 8601, `Z` suffix, millisecond precision."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def boolean(value: Any, field: str) -> bool:
    """true/false, 1/0 and their string forms."""
    if isinstance(value, bool):
        return value
    if value in (1, "1", "true", "True"):
        return True
    if value in (0, "0", "false", "False"):
        return False
    raise invalid(field, f"{field} must be true or false")

"""Field parsers shared by every payload central accepts: text, integers, money, timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from central.core.errors import invalid

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_MONEY = Decimal("1e12")


def text(value: Any, field: str, max_len: int, *, required: bool = False,
         default: str | None = "") -> str | None:
    """A trimmed string without control characters, or `default` when absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(field, f"{field} is required")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid(field, f"{field} must be a string")
    out = str(value).strip()
    if len(out) > max_len:
        raise invalid(field, f"{field} is longer than {max_len} characters")
    if _CONTROL_RE.search(out):
        raise invalid(field, f"{field} contains control characters")
    return out


def required_text(value: Any, field: str, max_len: int) -> str:
    """Like `text`, but absence is an error."""
    out = text(value, field, max_len, required=True)
    assert out is not None
    return out


def integer(value: Any, field: str, *, minimum: int = 1, maximum: int = 2**53) -> int:
    """An integer (digits in a string accepted) within [minimum, maximum]."""
    if isinstance(value, bool):
        raise invalid(field, f"{field} must be an integer")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise invalid(field, f"{field} must be an integer")
    if not minimum <= value <= maximum:
        raise invalid(field, f"{field} must be between {minimum} and {maximum}")
    return value


def optional_integer(value: Any, field: str, *, minimum: int = 1) -> int | None:
    """`integer`, with None/"" meaning absent."""
    if value is None or value == "":
        return None
    return integer(value, field, minimum=minimum)


def money(value: Any, field: str) -> str:
    """A non-negative decimal amount as a canonical string ("45000", "12.5"); never a float."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(field, f"{field} must be a decimal string")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise invalid(field, f"{field} must be a decimal string") from None
    if not amount.is_finite() or amount < 0 or amount > _MAX_MONEY:
        raise invalid(field, f"{field} must be a non-negative amount")
    out = format(amount.normalize(), "f")
    return "0" if out in ("-0", "") else out


def timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive input is taken as UTC)."""
    if not isinstance(value, str) or not value or len(value) > 40:
        raise invalid(field, f"{field} must be an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field, f"{field} must be an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


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

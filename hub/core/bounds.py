"""Bounded parsers for every number, string, timestamp and JSON body hub and central accept.

One place for the limits, imported by `hub.core.orders` and `central.core.fields`, so the
two sides refuse the same input (until issue 13's shared order package takes this over).
Each parser returns a value or raises `BoundsError(message)`; callers wrap it in their
own error type with the field's name. Nothing here can be made to use unbounded time or
memory by its input: that is the point of the module.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# Money: at most a trillion (IDR 1e12 covers any till), at most 32 significant digits and
# 20 decimals. 20 keeps a JavaScript float that printed itself as 0.30000000000000004
# (17 decimals) acceptable, and makes "1e-1000000" (a 1 MB string once expanded) a refusal.
MAX_MONEY = Decimal("1e12")
MAX_MONEY_DIGITS = 32
MAX_MONEY_DECIMALS = 20
MAX_NUMBER_TEXT = 40             # characters of a number sent as a string, before parsing
# Integers: ids, revs, quantities. 2**53 is what a JavaScript client can hold exactly;
# 16 digits is one more than that has, so the regex bounds the work before int() runs.
MAX_INT = 2**53
_INT_RE = re.compile(r"-?[0-9]{1,16}")
MAX_TIMESTAMP_TEXT = 40

_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BoundsError(ValueError):
    """A value outside the bounds; the message says which bound, the caller names the field."""


def bounded_text(value: str, max_len: int) -> str:
    """`value` if it is at most `max_len` characters of valid Unicode without control codes."""
    if len(value) > max_len:
        raise BoundsError(f"is longer than {max_len} characters")
    if _SURROGATE_RE.search(value):
        raise BoundsError("is not valid Unicode text (lone surrogate)")
    if _CONTROL_RE.search(value):
        raise BoundsError("contains control characters")
    return value


def bounded_int(value: Any, minimum: int, maximum: int = MAX_INT) -> int:
    """An int (or a string of ASCII digits) within [minimum, maximum]; never a bool."""
    if isinstance(value, bool):
        raise BoundsError("must be an integer")
    if isinstance(value, str):
        text = value.strip()
        # ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
        if not _INT_RE.fullmatch(text):
            raise BoundsError("must be an integer")
        value = int(text)
    if not isinstance(value, int):
        raise BoundsError("must be an integer")
    if not minimum <= value <= maximum:
        raise BoundsError(f"must be between {minimum} and {maximum}")
    return value


def query_int(raw: str) -> int:
    """A non-negative integer query parameter (`since_id`, `since_rev`, `limit`)."""
    return bounded_int(raw, 0)


def money(value: Any) -> str:
    """A non-negative decimal amount in canonical form ("45000", "12.5"), bounded in size."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BoundsError("must be a decimal string")
    text = str(value).strip()
    if len(text) > MAX_NUMBER_TEXT:
        raise BoundsError(f"must be at most {MAX_NUMBER_TEXT} characters")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BoundsError("must be a decimal string") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise BoundsError(f"must be a non-negative amount up to {MAX_MONEY:f}")
    if amount.is_zero():
        return "0"
    shape = amount.normalize().as_tuple()
    assert isinstance(shape.exponent, int)          # finite, checked above
    if -shape.exponent > MAX_MONEY_DECIMALS or len(shape.digits) > MAX_MONEY_DIGITS:
        raise BoundsError(f"must have at most {MAX_MONEY_DECIMALS} decimals and "
                          f"{MAX_MONEY_DIGITS} digits")
    return format(amount.normalize(), "f")


def timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive input is taken as UTC)."""
    if len(value) > MAX_TIMESTAMP_TEXT:
        raise BoundsError("must be an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        # 0001-01-01T00:00:00+05:00 is a valid string but no UTC instant: OverflowError.
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BoundsError("must be an ISO 8601 timestamp") from None


def parse_json(raw: bytes | str) -> Any:
    """Parsed JSON, or BoundsError: the C scanner stops at the interpreter's recursion limit
    (about 1,000 levels) with RecursionError, so 100k-deep input costs nothing but a refusal."""
    try:
        return json.loads(raw or b"null")
    except (ValueError, RecursionError):
        raise BoundsError("is not valid JSON") from None

"""Promotions applied to cart prices — the same rule as the kiosk's ui/shared/promotions.js.

A kiosk prices a cart with `bestPrice()` and an order it sends through central (hub down)
is later forwarded by the hub with the kiosk's prices; if central priced it differently the
two copies would fingerprint differently and become a conflict. So this mirrors the JS rule
step by step, including its arithmetic:

- money in integer cents; a price string rounds half-up on its third decimal (`toCents`);
- a promotion is active when `is_active` and start ≤ now ≤ end (either end open), in ms;
- it covers a product when its tenant (if any) is the product's and its product (if any) is
  the product; no scope at all covers everything;
- the discount off one unit is `Math.round(unit * pct / 100)` in IEEE doubles (ties up),
  with pct clamped to [0, 100] and the result clamped to [0, unit];
- promotions never stack: the single largest discount wins (the first on a tie).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from central.core import fields
from central.core.errors import ApiError


def to_cents(value: str) -> int:
    """`toCents` of money.js: a decimal string to integer cents, half-up on the 3rd decimal."""
    sign, s = (-1, value[1:]) if value.startswith("-") else (1, value)
    whole, _, frac = s.strip().partition(".")
    frac = frac.ljust(3, "0")
    cents = int(whole or "0") * 100 + int(frac[:2])
    if int(frac[2]) >= 5:
        cents += 1
    return sign * cents


def money_from_cents(cents: int) -> str:
    """Integer cents as central's canonical money string ("45000", "12.5")."""
    return fields.money(format(Decimal(cents) / 100, "f"), "price")


def _js_round(x: float) -> int:
    """`Math.round`: nearest integer, ties toward +infinity (not Python's ties-to-even)."""
    low = math.floor(x)
    return low + 1 if x - low >= 0.5 else low


def _ms(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(fields.timestamp(value, "date").timestamp() * 1000)
    except ApiError:
        return None  # Date.parse → NaN → treated as an open end, as the kiosk does


def is_active(promo: dict[str, Any], now_ms: int) -> bool:
    """`isPromotionActive`: switched on and now inside [start_date, end_date] (inclusive)."""
    if not promo.get("is_active", True):
        return False
    start, end = _ms(promo.get("start_date")), _ms(promo.get("end_date"))
    if start is not None and now_ms < start:
        return False
    return not (end is not None and now_ms > end)


def covers(promo: dict[str, Any], product: dict[str, Any]) -> bool:
    """`promotionCovers` for central's scopes (product_id, tenant_id; no categories)."""
    tenant = promo.get("tenant_id")
    if tenant is not None and product.get("tenant_id") is not None \
            and tenant != product["tenant_id"]:
        return False
    scope = promo.get("product_id")
    return scope is None or scope == product.get("id")


def unit_discount(promo: dict[str, Any], unit_cents: int) -> int:
    """`unitDiscount` (percent): cents off one unit, in the kiosk's float arithmetic."""
    pct = min(100.0, max(0.0, float(promo.get("discount_percent") or 0)))
    off = _js_round(unit_cents * pct / 100)
    return max(0, min(unit_cents, off))


@dataclass(frozen=True)
class Priced:
    """A product's unit price after the best promotion."""

    unit_cents: int
    original_cents: int
    promotion_id: int | None


def best_price(product: dict[str, Any], promotions: Iterable[dict[str, Any]],
               now: datetime) -> Priced:
    """`bestPrice`: the single largest active discount for `product` at `now`."""
    now_ms = math.floor(now.timestamp() * 1000)
    unit = to_cents(str(product["price"]))
    best: int | None = None
    best_off = 0
    for promo in promotions:
        if not is_active(promo, now_ms) or not covers(promo, product):
            continue
        off = unit_discount(promo, unit)
        if off > best_off:
            best, best_off = promo.get("id"), off
    return Priced(unit - best_off, unit, best)

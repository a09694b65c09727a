"""Promotions and rounding — the one rule central, the hub and ui/shared/promotions.js apply.

A kiosk prices a cart with `bestPrice()` and an order it sends through central (hub down)
is later forwarded by the hub with the kiosk's prices; if central priced it differently
the two copies would fingerprint differently and become a conflict. So this is the JS rule
step by step, including its arithmetic, and `vectors/pricing.json` runs against both:

- money in integer cents; a price string rounds half-up on its third decimal (`toCents`);
- a promotion is active unless `is_active` or `active` is false, and start ≤ now ≤ end
  (either end open; an unparseable date is an open end, as `Date.parse` gives NaN);
- it covers a product when its tenant (if any) is the product's and, when it names
  products or categories, the product is among them; no scope at all covers everything;
- percent: the discount off one unit is `Math.round(unit * pct / 100)` in IEEE doubles
  (ties up), pct clamped to [0, 100]; amount: `toCents(value)`; both clamped to [0, unit];
- promotions never stack: the single largest discount wins (the first on a tie);
- modifier options add their `price_delta` to the discounted unit (`modifier_cents`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from outlet_protocol import fields, modifiers


def to_cents(value: Any) -> int:
    """`toCents` of money.js: a decimal string to integer cents, half-up on the 3rd decimal."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _js_round(float(value) * 100)
    text = str(value).strip()
    sign, s = (-1, text[1:]) if text.startswith("-") else (1, text)
    whole, _, frac = s.partition(".")
    if not (whole or frac) or not (whole.isascii() and (whole.isdigit() or not whole)) \
            or not (frac.isascii() and (frac.isdigit() or not frac)):
        raise ValueError(f"bad amount: {value!r}")
    frac = frac.ljust(3, "0")
    cents = int(whole or "0") * 100 + int(frac[:2])
    if int(frac[2]) >= 5:
        cents += 1
    return sign * cents


def money_from_cents(cents: int) -> str:
    """Integer cents as the canonical money string ("45000", "12.5")."""
    return fields.money_field(format(Decimal(cents) / 100, "f"), "price")


def _js_round(x: float) -> int:
    """`Math.round`: nearest integer, ties toward +infinity (not Python's ties-to-even)."""
    low = math.floor(x)
    return low + 1 if x - low >= 0.5 else low


def _ms(value: Any) -> int | None:
    if value is None or value == "" or not isinstance(value, str):
        return None
    try:
        return int(fields.timestamp(value).timestamp() * 1000)
    except fields.BoundsError:
        return None  # Date.parse → NaN → treated as an open end, as the kiosk does


def _first(promo: dict[str, Any], *names: str) -> Any:
    """`a ?? b ?? c`: the first of `names` present and not null."""
    for name in names:
        if promo.get(name) is not None:
            return promo[name]
    return None


def is_active(promo: dict[str, Any], now_ms: int) -> bool:
    """`isPromotionActive`: switched on and now inside [start, end] (inclusive, in ms)."""
    if promo.get("active") is False or promo.get("is_active") is False:
        return False
    start = _ms(_first(promo, "start_date", "starts_at", "valid_from"))
    end = _ms(_first(promo, "end_date", "ends_at", "valid_until"))
    if start is not None and now_ms < start:
        return False
    return not (end is not None and now_ms > end)


def now_ms(now: datetime) -> int:
    """`Date.now()` for `now`: whole milliseconds since the epoch."""
    return math.floor(now.timestamp() * 1000)


def active_promotions(promotions: Iterable[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The promotions `is_active` at `now` — what a menu read with `active=1` returns."""
    at = now_ms(now)
    return [p for p in promotions if is_active(p, at)]


def _ids(one: Any, many: Any) -> list[Any]:
    listed = list(many) if isinstance(many, list) else []
    return [*listed, one] if one is not None else listed


def covers(promo: dict[str, Any], product: dict[str, Any]) -> bool:
    """`promotionCovers`: tenant must match when both name one; products/categories scope."""
    products = _ids(promo.get("product_id"), _first(promo, "product_ids", "products"))
    categories = _ids(promo.get("category_id"), _first(promo, "category_ids", "categories"))
    tenant = promo.get("tenant_id")
    if tenant is not None and product.get("tenant_id") is not None \
            and tenant != product["tenant_id"]:
        return False
    if not products and not categories:
        return True
    return product.get("id") in products or (
        product.get("category_id") is not None and product.get("category_id") in categories)


def unit_discount(promo: dict[str, Any], unit_cents: int) -> int:
    """`unitDiscount`: cents off one unit, in the kiosk's float arithmetic."""
    if promo.get("discount_percent") is not None:
        kind = "percent"
    else:
        kind = str(_first(promo, "discount_type", "type") or "percent").lower()
    raw = _first(promo, "discount_percent", "discount", "value", "discount_value") or 0
    if kind.startswith("percent") or kind == "%":
        pct = min(100.0, max(0.0, float(raw)))
        off = _js_round(unit_cents * pct / 100)
    else:
        off = to_cents(raw)
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
    at = now_ms(now)
    unit = to_cents(product["price"])
    best: int | None = None
    best_off = 0
    for promo in promotions:
        if not is_active(promo, at) or not covers(promo, product):
            continue
        off = unit_discount(promo, unit)
        if off > best_off:
            best, best_off = promo.get("id"), off
    return Priced(unit - best_off, unit, best)


class ChoiceError(ValueError):
    """Chosen modifiers a product does not offer, or a group's min/max broken."""


def modifier_cents(product: dict[str, Any], chosen: Iterable[str]) -> int:
    """Cents the chosen options add to one unit (`modifierCents` in ui/shared/modifiers.js).

    Promotions discount the base price only; option deltas are added after, never
    discounted, so a 100 % promotion still charges for extra cheese. A product without
    groups takes free-text modifiers (the seed's shape) at no charge.
    """
    groups = modifiers.groups_of(product)
    names = list(chosen)
    if not groups:
        return 0
    if len(set(names)) != len(names):
        raise ChoiceError("an option is chosen twice")
    price = {o["name"]: (g["name"], to_cents(o["price_delta"]))
             for g in groups for o in g["options"]}
    unknown = [n for n in names if n not in price]
    if unknown:
        raise ChoiceError(f"{product.get('name', 'product')} has no option {unknown[0]!r}")
    for g in groups:
        n = sum(1 for name in names if price[name][0] == g["name"])
        if not g["min"] <= n <= g["max"]:
            raise ChoiceError(f"{g['name']}: choose {g['min']}-{g['max']} options, not {n}")
    return sum(price[n][1] for n in names)

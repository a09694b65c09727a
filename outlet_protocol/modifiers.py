"""Modifier groups of a product: the shape an admin writes and every copy of the menu carries.

A product has `modifier_groups` (at most 10 groups of at most 20 options) and `allow_notes`.
An order item names the options chosen as plain strings in `modifiers` (the wire shape
since the seed), so option names must be unique across a product's groups: a name picks
exactly one option. The price rule that uses these groups is `pricing.modifier_cents`.
"""

from __future__ import annotations

from typing import Any

from outlet_protocol import fields
from outlet_protocol.errors import invalid

MAX_GROUPS = 10
MAX_OPTIONS = 20
# An option name is what an order item carries in `modifiers` (maxLength 100 in the schema);
# 60 keeps a kitchen ticket line readable.
MAX_OPTION_NAME = 60


def _group(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid(where, f"{where} must be an object")
    options_raw = raw.get("options")
    if not isinstance(options_raw, list) or not options_raw or len(options_raw) > MAX_OPTIONS:
        raise invalid(f"{where}.options", f"options must be a list of 1-{MAX_OPTIONS} objects")
    options = []
    for j, opt in enumerate(options_raw):
        at = f"{where}.options[{j}]"
        if not isinstance(opt, dict):
            raise invalid(at, f"{at} must be an object")
        options.append({
            "name": fields.required_text(opt.get("name"), f"{at}.name", MAX_OPTION_NAME),
            "price_delta": fields.money_field(opt.get("price_delta") or "0", f"{at}.price_delta"),
        })
    low = fields.integer(raw.get("min", 0), f"{where}.min", minimum=0, maximum=MAX_OPTIONS)
    high = fields.integer(raw.get("max", len(options)), f"{where}.max", minimum=1,
                          maximum=MAX_OPTIONS)
    if low > high or low > len(options):
        raise invalid(f"{where}.min", "min must be at most max and at most the number of options")
    return {"name": fields.required_text(raw.get("name"), f"{where}.name", 100),
            "min": low, "max": min(high, len(options)), "options": options}


def parse_groups(raw: Any, field: str = "modifier_groups") -> list[dict[str, Any]]:
    """Validate an admin's modifier groups into their stored shape or raise ProtocolError."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_GROUPS:
        raise invalid(field, f"{field} must be a list of at most {MAX_GROUPS} groups")
    groups = [_group(g, f"{field}[{i}]") for i, g in enumerate(raw)]
    seen: set[str] = set()
    for group in groups:
        for opt in group["options"]:
            if opt["name"] in seen:
                raise invalid(field, f"option {opt['name']!r} appears twice; an order names "
                                     "options by name, so names must be unique per product")
            seen.add(opt["name"])
    return groups


def groups_of(product: dict[str, Any]) -> list[dict[str, Any]]:
    """A product's groups as stored (a product from before issue 14 has none)."""
    groups = product.get("modifier_groups")
    return groups if isinstance(groups, list) else []

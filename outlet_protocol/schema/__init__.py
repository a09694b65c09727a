"""The order's JSON Schema, loaded once; every limit the validators use is read from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("order.schema.json")
ORDER_SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def node(pointer: str) -> dict[str, Any]:
    """The schema object at a JSON pointer such as `/$defs/item/properties/qty`."""
    here: Any = ORDER_SCHEMA
    for part in pointer.strip("/").split("/"):
        here = here[part]
    assert isinstance(here, dict), pointer
    return here


def prop(name: str) -> dict[str, Any]:
    """An order property's schema (`$ref` followed once)."""
    out = node(f"/properties/{name}")
    ref = out.get("$ref")
    return {**node(ref.lstrip("#")), **out} if isinstance(ref, str) else out


def item_prop(name: str) -> dict[str, Any]:
    """An item property's schema (`$ref` followed once)."""
    out = node(f"/$defs/item/properties/{name}")
    ref = out.get("$ref")
    return {**node(ref.lstrip("#")), **out} if isinstance(ref, str) else out


def max_length(schema: dict[str, Any]) -> int:
    """`maxLength` of a string property."""
    return int(schema["maxLength"])


def enum(name: str) -> tuple[str, ...]:
    """The allowed values of an order property, in schema order."""
    return tuple(str(v) for v in prop(name)["enum"])


_TO = "\u2013"      # an en dash between the ends of a range, as the docs write it


def _rule(schema: dict[str, Any], required: bool) -> str:
    """One table cell: the keywords of a property in words."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        schema = {**node(ref.lstrip("#")), **schema}
    for alt in schema.get("anyOf", []):
        if "$ref" in alt:
            schema = {**node(alt["$ref"].lstrip("#")), **schema, "nullable": True}
    parts = ["required" if required else "optional"]
    kinds = schema.get("type")
    if kinds:
        parts.append(" or ".join(kinds) if isinstance(kinds, list) else str(kinds))
    if schema.get("nullable"):
        parts.append("or null")
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    if "minLength" in schema or "maxLength" in schema:
        parts.append(f"{schema.get('minLength', 0)}{_TO}{schema['maxLength']} characters")
    if "pattern" in schema:
        parts.append(f"matching `{schema['pattern']}`")
    if "minimum" in schema:
        parts.append(f"{schema['minimum']}{_TO}{schema['maximum']}")
    if "x-money" in schema:
        money = schema["x-money"]
        parts.append(f"decimal ≥ 0 and ≤ {money['maximum']}, ≤ {money['max_digits']} significant "
                     f"digits and {money['max_decimals']} decimals")
    if "maxItems" in schema:
        parts.append(f"{schema.get('minItems', 0)}{_TO}{schema['maxItems']} entries")
    if "x-reserved-prefix" in schema:
        parts.append(f"`{schema['x-reserved-prefix']}…` reserved")
    if schema.get("format") == "date-time":
        parts.append("ISO 8601 that converts to UTC")
    if "x-default" in schema:
        default = schema["x-default"]
        parts.append(f"default: {default}" if default else 'default: `""`')
    return "; ".join(parts)


def field_table() -> str:
    """The markdown field table of docs/protocol.md §1, generated from the schema."""
    lines = ["| field | rule |", "|---|---|"]
    required = set(ORDER_SCHEMA["required"])
    for name, schema in ORDER_SCHEMA["properties"].items():
        lines.append(f"| `{name}` | {_rule(schema, name in required)} |")
        if name == "items":
            item = node("/$defs/item")
            for sub, sub_schema in item["properties"].items():
                rule = _rule(sub_schema, sub in item["required"])
                if sub == "modifiers":
                    rule += "; each " + _rule(sub_schema["items"], True)
                lines.append(f"| `items[].{sub}` | {rule} |")
    return "\n".join(lines) + "\n"

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

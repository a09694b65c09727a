"""Who a socket says it is: client type, outlet, tenant filter and positions, checked.

The same rules for the upgrade's query string and a `hello`; a paired device's role and
stalls override and bound what it asks for (docs/protocol.md §7).
"""

from __future__ import annotations

from typing import Any

from hub.context import HubContext
from hub.core.messages import parse
from hub.core.pairing import ANONYMOUS, Principal, bounded_tenants
from outlet_protocol.errors import ProtocolError
from outlet_protocol.feed import CLIENT_TYPES, ClientFilter, parse_tenant_ids
from outlet_protocol.fields import MAX_INT, BoundsError, bounded_int, bounded_text


def int_param(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ProtocolError("validation_failed", f"{field} must be a non-negative integer", field)
    try:
        return bounded_int(value, 0)
    except BoundsError:
        raise ProtocolError("validation_failed", f"{field} must be a non-negative integer "
                            f"up to {MAX_INT}", field) from None


def identity(ctx: HubContext, fields: dict[str, Any], current: ClientFilter,
              who: Principal = ANONYMOUS) -> ClientFilter:
    ctype = who.role if who.kind == "device" else (fields.get("client_type") or
                                                   current.client_type)
    if ctype not in CLIENT_TYPES:
        raise ProtocolError("validation_failed",
                            f"client_type must be one of {', '.join(CLIENT_TYPES)}", "client_type")
    outlet = int_param(fields.get("outlet_id"), "outlet_id")
    if outlet is not None and outlet != ctx.cfg.outlet_id:
        raise ProtocolError("outlet_mismatch",
                            f"this hub serves outlet {ctx.cfg.outlet_id}, not {outlet}", "outlet_id")
    tenants_raw = fields.get("tenant_ids", fields.get("tenant_id"))
    if tenants_raw is None:
        tenants = current.tenant_ids
    else:
        values = tenants_raw if isinstance(tenants_raw, list) else [tenants_raw]
        try:
            tenants = parse_tenant_ids(values)
        except ValueError as exc:
            raise ProtocolError("validation_failed", str(exc), "tenant_ids") from None
    scope = bounded_tenants(who, tenants)
    if scope is None:
        raise ProtocolError("forbidden", "this screen is paired for other stalls", "tenant_ids")
    return ClientFilter(ctype, scope)


def safe_label(text: str) -> bool:
    """A client-chosen id we may store and show (no lone surrogates or control codes)."""
    try:
        bounded_text(text, 100)
    except BoundsError:
        return False
    return True


def ref_of(text: str) -> str | None:
    """The `id` of a frame we refuse without handling, so the sender knows which to resend."""
    try:
        return parse(text).id
    except ProtocolError:
        return None

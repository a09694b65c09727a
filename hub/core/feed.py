"""Who sees what: client filters and the replay selection over the change feed.

Live delivery and replay use the same `ClientFilter.wants`, so a screen that reconnects
with `since_rev` ends in exactly the state of one that never left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

CLIENT_TYPES = ("pos", "kitchen", "display", "board", "device")
# Screens that show tickets get new orders; a POS only hears about its orders' progress.
_ORDER_VIEWERS = frozenset({"kitchen", "display", "board", "device"})

NEW_ORDER = "new_order"
STATUS_UPDATE = "order_status_update"


@dataclass(frozen=True)
class ClientFilter:
    """A client's view of the outlet: its type and the tenants (stalls) it follows."""

    client_type: str = "display"
    tenant_ids: frozenset[int] = frozenset()

    def follows_tenant(self, tenant_id: int | None) -> bool:
        """No tenant filter sees everything; an order with no tenant belongs to every kitchen."""
        return not self.tenant_ids or tenant_id is None or tenant_id in self.tenant_ids

    def wants(self, kind: str, tenant_id: int | None) -> bool:
        """Whether a message of `kind` about an order of `tenant_id` goes to this client."""
        if kind == NEW_ORDER and self.client_type not in _ORDER_VIEWERS:
            return False
        return self.follows_tenant(tenant_id)


def replay_kind(created_rev: int, since_rev: int) -> str:
    """An order created after the client's position is new to it; otherwise only its status moved."""
    return NEW_ORDER if created_rev > since_rev else STATUS_UPDATE


def status_update_payload(order: dict[str, Any], by: str | None = None) -> dict[str, Any]:
    """The `order_status_update` body for an order's current state."""
    return {
        "id": order["id"], "rev": order["rev"], "uuid": order["uuid"],
        "order_number": order["order_number"], "tenant_id": order.get("tenant_id"),
        "status": order["status"], "updated_at": order["updated_at"],
        "by": by if by is not None else order.get("updated_by"),
    }


def select_replay(orders: Iterable[dict[str, Any]], since_rev: int,
                  flt: ClientFilter) -> list[tuple[str, dict[str, Any]]]:
    """(kind, payload) for every order changed after `since_rev` that the client wants, by rev."""
    out: list[tuple[str, dict[str, Any]]] = []
    for order in sorted(orders, key=lambda o: o["rev"]):
        if order["rev"] <= since_rev:
            continue
        kind = replay_kind(order["created_rev"], since_rev)
        if not flt.wants(kind, order.get("tenant_id")):
            continue
        out.append((kind, order if kind == NEW_ORDER else status_update_payload(order)))
    return out


def parse_tenant_ids(values: Iterable[Any]) -> frozenset[int]:
    """Tenant ids from query strings or hello payloads; ignores empties, rejects garbage."""
    out: set[int] = set()
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise ValueError(f"tenant_id {part!r} is not a positive integer")
            out.add(int(part))
    return frozenset(out)

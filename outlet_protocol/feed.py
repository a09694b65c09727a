"""Who sees what and from where: client filters, replay pages, held changes, retention floor.

Live delivery and replay use the same `ClientFilter.wants`, so a screen that reconnects
with `since_rev` ends in exactly the state of one that never left. The adapters (hub/ws.py,
hub/fanout.py, the store's purge) read rows and move bytes; these functions decide.
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


def select_replay(orders: Iterable[dict[str, Any]], since_rev: int, flt: ClientFilter,
                  shown: set[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(kind, payload) for every order changed after `since_rev` that the client wants, by rev.

    Called once per page: `shown` carries the uuids already sent as `new_order` by earlier
    pages, because an order changed while paging comes round again at its new rev and must
    then be a status update, not a second ticket.
    """
    seen = shown if shown is not None else set()
    out: list[tuple[str, dict[str, Any]]] = []
    for order in sorted(orders, key=lambda o: o["rev"]):
        if order["rev"] <= since_rev:
            continue
        kind = replay_kind(order["created_rev"], since_rev)
        if kind == NEW_ORDER and order["uuid"] in seen:
            kind = STATUS_UPDATE
        if not flt.wants(kind, order.get("tenant_id")):
            continue
        if kind == NEW_ORDER:
            seen.add(order["uuid"])
        out.append((kind, order if kind == NEW_ORDER else status_update_payload(order)))
    return out


def next_page(rows: list[dict[str, Any]], page_size: int, key: str) -> int | None:
    """Where the next replay page starts (`rows[-1][key]`), or None when this page was the last."""
    return None if len(rows) < page_size else int(rows[-1][key])


def still_to_send(held_rev: int, replayed_upto: int) -> bool:
    """A live change held during a replay is sent after it only if the replay did not cover it."""
    return held_rev > replayed_upto


def retention_floor(last_rev: int, sink_cursors: Iterable[int | None]) -> int:
    """The highest rev that may be purged: every active sink (kitchen MQTT, central) has it.

    A sink with no cursor yet has confirmed nothing (0), so nothing is purged under it.
    """
    floor = last_rev
    for cursor in sink_cursors:
        floor = min(floor, int(cursor or 0))
    return floor


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

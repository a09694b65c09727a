"""Change feed → MQTT messages for the outlet's devices (docs/protocol.md §5), sans-I/O.

One feed entry may become several messages: every change goes to `orders/new` or
`orders/status`; an order reaching `ready` also goes to its tenant's pager topic
`tenants/<id>/ready` and sets the retained `tenants/<id>/now_serving` number. All of
them ride the MQTT outbox cursor, so a pager hears each ready order at least once even
across a broker or hub crash (and once when nothing crashes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.core.feed import status_update_payload
from hub.core.messages import dumps

# Orders that belong to no tenant (a single-kitchen outlet) use tenant "0" on the bus.
NO_TENANT = 0


@dataclass(frozen=True)
class DeviceMessage:
    topic: str
    payload: str
    retain: bool = False


def tenant_key(order: dict[str, Any]) -> int:
    tenant = order.get("tenant_id")
    return tenant if isinstance(tenant, int) else NO_TENANT


def messages_for(root: str, kind: str, order: dict[str, Any], by: str | None,
                 at: str) -> list[DeviceMessage]:
    """The messages one change-feed entry publishes under `root` ("kitchen-sync/<outlet>/")."""
    if kind == "created":
        return [DeviceMessage(root + "orders/new", dumps(order))]
    out = [DeviceMessage(root + "orders/status", dumps(status_update_payload(order, by)))]
    if order.get("status") == "ready":
        tenant = tenant_key(order)
        event = {"uuid": order["uuid"], "order_number": order["order_number"],
                 "tenant_id": order.get("tenant_id"), "rev": order["rev"], "at": at}
        out.append(DeviceMessage(root + f"tenants/{tenant}/ready", dumps(event)))
        out.append(DeviceMessage(root + f"tenants/{tenant}/now_serving", dumps(event),
                                 retain=True))
    return out

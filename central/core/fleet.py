"""Hubs in the fleet: registration and heartbeat payloads, the websocket_url rule, liveness."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from outlet_protocol import fields
from outlet_protocol.errors import invalid

CLIENT_TYPES = ("kitchen", "pos", "display", "board", "device")
MQTT_STATES = ("connected", "disconnected", "disabled")
DEFAULT_WEBSOCKET_URL = "ws://localhost:3001"
DEFAULT_METRICS_PORT = 3002


def websocket_url(value: Any, field: str = "websocket_url") -> str:
    """A ws:// or wss:// URL with a host."""
    url = fields.required_text(value, field, 255)
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise invalid(field, f"{field} must be a ws:// or wss:// URL with a host")
    return url


def _addresses(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 16:
        raise invalid("addresses", "addresses must be a list of at most 16 IP addresses")
    out = []
    for a in value:
        try:
            out.append(str(ipaddress.ip_address(str(a).split("%")[0])))
        except ValueError:
            raise invalid("addresses", f"{a!r} is not an IP address") from None
    return out


@dataclass(frozen=True)
class Registration:
    """A parsed `/api/hubs/register` body (the credentials are handled by the adapter)."""

    hub_id: str
    outlet_id: int
    websocket_url: str | None
    http_url: str | None
    addresses: list[str]
    version: str
    metrics_port: int


def parse_registration(raw: Any) -> Registration:
    """Validate a registration body or raise ProtocolError."""
    if not isinstance(raw, dict):
        raise invalid("body", "body must be an object")
    ws = raw.get("websocket_url")
    return Registration(
        hub_id=fields.required_text(raw.get("hub_id"), "hub_id", 64),
        outlet_id=fields.integer(raw.get("outlet_id"), "outlet_id"),
        websocket_url=websocket_url(ws) if ws else None,
        http_url=fields.text(raw.get("http_url"), "http_url", 255, default=None),
        addresses=_addresses(raw.get("addresses")),
        version=fields.text(raw.get("version"), "version", 40) or "",
        metrics_port=fields.integer(raw.get("metrics_port", DEFAULT_METRICS_PORT),
                                    "metrics_port", maximum=65535),
    )


def next_websocket_url(current_source: str, reported: str | None) -> str | None:
    """The URL to store for an outlet after its hub reported `reported`, or None to keep it.

    An admin-pinned URL (source "admin") is never overwritten by a hub.
    """
    if reported is None or current_source == "admin":
        return None
    return reported


def _count(value: Any, field: str) -> int:
    return 0 if value is None else fields.integer(value, field, minimum=0, maximum=10**9)


def parse_heartbeat(raw: Any) -> dict[str, Any]:
    """Validate a heartbeat into the snapshot central stores and exports; raises ProtocolError."""
    if not isinstance(raw, dict):
        raise invalid("body", "body must be an object")
    clients_raw = raw.get("clients") or {}
    if not isinstance(clients_raw, dict):
        raise invalid("clients", "clients must map client type to a count")
    clients = {t: _count(clients_raw.get(t), f"clients.{t}") for t in CLIENT_TYPES}
    mqtt = raw.get("mqtt") or "disabled"
    if mqtt not in MQTT_STATES:
        raise invalid("mqtt", f"mqtt must be one of {', '.join(MQTT_STATES)}")
    hub_time = raw.get("time")
    ws = raw.get("websocket_url")
    oldest = raw.get("oldest_unsynced_age_seconds")
    if oldest is not None and (isinstance(oldest, bool) or not isinstance(oldest, int | float)
                               or oldest < 0):
        raise invalid("oldest_unsynced_age_seconds", "must be a non-negative number")
    return {
        "hub_id": fields.text(raw.get("hub_id"), "hub_id", 64, default=None),
        "version": fields.text(raw.get("version"), "version", 40, default=None),
        "hub_time": fields.timestamp_field(hub_time, "time").timestamp() if hub_time else None,
        "uptime_seconds": float(_count(int(raw.get("uptime_seconds") or 0), "uptime_seconds")),
        "clients": clients,
        "kitchens_connected": _count(raw.get("kitchens_connected"), "kitchens_connected"),
        "outbox_pending": _count(raw.get("outbox_pending"), "outbox_pending"),
        "oldest_unsynced_age_seconds": float(oldest or 0),
        "mqtt": mqtt,
        "menu_version": _count(raw.get("menu_version"), "menu_version"),
        "last_rev": _count(raw.get("last_rev"), "last_rev"),
        "websocket_url": websocket_url(ws) if ws else None,
        "addresses": _addresses(raw.get("addresses")) if "addresses" in raw else None,
        "sold_out": _sold_out(raw["sold_out"]) if "sold_out" in raw else None,
    }


# A food court sells a few hundred products; 5,000 bounds a heartbeat at ~40 kB.
MAX_SOLD_OUT = 5000


def _sold_out(raw: Any) -> list[int]:
    """The product ids the hub has marked sold out (state, sent whole on every heartbeat;
    absent means "unknown this time", and central keeps the previous set)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_SOLD_OUT:
        raise invalid("sold_out", f"sold_out must be a list of at most {MAX_SOLD_OUT} product ids")
    return sorted({fields.integer(v, "sold_out") for v in raw})


HEALTH_FIGURES = ("outbox_pending", "oldest_unsynced_age_seconds", "kitchens_connected",
                  "clients", "menu_version", "mqtt", "sold_out")


def health_figures(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """The latest heartbeat's figures for the outlet's `hub` object (admin panel); all None
    until the hub sent one, plus `last_heartbeat_at` (central's clock)."""
    beat = snapshot or {}
    out = {k: beat.get(k) for k in HEALTH_FIGURES}
    received = beat.get("received_at")
    out["last_heartbeat_at"] = fields.iso(received) if received else None
    return out


def is_online(last_seen: float | None, now: float, offline_after: float) -> bool:
    """A hub is up while its last heartbeat is younger than `offline_after` (3 intervals)."""
    return last_seen is not None and now - last_seen <= offline_after


def was_announced_offline(last_seen: float | None, announced_at: float | None) -> bool:
    """True when the offline sweep announced the hub gone after its last heartbeat (a value
    equal to last_seen is the migration's "nothing to announce" mark, not an announcement)."""
    return announced_at is not None and last_seen is not None and announced_at > last_seen


def sweep_interval(offline_after: float) -> float:
    """How often to look for hubs that went offline: a fraction of the threshold, ≤ 5 s."""
    return min(5.0, max(0.5, offline_after / 6))


def clock_skew(hub_time: float | None, received_at: float) -> float:
    """Hub clock minus central clock at the heartbeat (0 when the hub sent no time)."""
    return 0.0 if hub_time is None else hub_time - received_at


def sd_target(addresses: list[str], websocket_url: str | None, metrics_port: int) -> str | None:
    """`host:port` Prometheus should scrape for a hub: its first LAN address, else its URL host."""
    host: str | None = addresses[0] if addresses else None
    if host is None and websocket_url:
        host = urlsplit(websocket_url).hostname
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{metrics_port}"

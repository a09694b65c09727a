"""What a hub reports about its screens, checked: pending pairing codes and paired devices.

Pure functions: the hub's report in, typed values out, every list and string bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from outlet_protocol.errors import invalid

ROLES = ("pos", "kitchen", "board", "display")
MAX_REQUESTS = 64           # the hub itself keeps at most 64 live codes
MAX_DEVICES = 500
MAX_TENANTS = 32


@dataclass(frozen=True)
class PendingRequest:
    code: str
    client_type: str
    name: str
    tenant_ids: list[int]
    expires_at: float
    remote: str


@dataclass(frozen=True)
class DeviceReport:
    device_id: str
    name: str
    client_type: str
    tenant_ids: list[int]
    online: bool
    last_seen: float | None


def _text(value: Any, field: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise invalid(field, f"{field}: 1 to {max_len} characters")
    return value.strip()


def _tenants(value: Any, field: str) -> list[int]:
    if value is None:
        return []
    if (not isinstance(value, list) or len(value) > MAX_TENANTS or
            not all(isinstance(t, int) and not isinstance(t, bool) and t > 0 for t in value)):
        raise invalid(field, f"{field}: at most {MAX_TENANTS} positive integers")
    return sorted(set(value))


def _time(value: Any, field: str, required: bool) -> float | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise invalid(field, f"{field}: an ISO 8601 time")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid(field, f"{field}: an ISO 8601 time") from None


def _role(value: Any, field: str) -> str:
    if value not in ROLES:
        raise invalid(field, f"{field}: one of {', '.join(ROLES)}")
    return str(value)


def parse_sync(body: Any) -> tuple[list[PendingRequest], list[DeviceReport]]:
    """`{requests: [...], devices: [...]}` from `POST /api/hubs/pairing`."""
    if not isinstance(body, dict):
        raise invalid("body", "body must be an object")
    raw_requests, raw_devices = body.get("requests") or [], body.get("devices") or []
    if not isinstance(raw_requests, list) or len(raw_requests) > MAX_REQUESTS:
        raise invalid("requests", f"requests: a list of at most {MAX_REQUESTS}")
    if not isinstance(raw_devices, list) or len(raw_devices) > MAX_DEVICES:
        raise invalid("devices", f"devices: a list of at most {MAX_DEVICES}")
    requests: dict[str, PendingRequest] = {}
    for r in raw_requests:
        if not isinstance(r, dict):
            raise invalid("requests", "each request must be an object")
        code = r.get("code")
        if not isinstance(code, str) or len(code) != 6 or not code.isdigit():
            raise invalid("requests.code", "code must be 6 digits")
        expires = _time(r.get("expires_at"), "requests.expires_at", True)
        assert expires is not None
        requests[code] = PendingRequest(
            code, _role(r.get("client_type"), "requests.client_type"),
            _text(r.get("name"), "requests.name", 60),
            _tenants(r.get("tenant_ids"), "requests.tenant_ids"), expires,
            str(r.get("remote") or "")[:64])
    devices: dict[str, DeviceReport] = {}
    for d in raw_devices:
        if not isinstance(d, dict):
            raise invalid("devices", "each device must be an object")
        device_id = _text(d.get("device_id"), "devices.device_id", 40)
        devices[device_id] = DeviceReport(
            device_id, _text(d.get("name"), "devices.name", 60),
            _role(d.get("client_type"), "devices.client_type"),
            _tenants(d.get("tenant_ids"), "devices.tenant_ids"), d.get("online") is True,
            _time(d.get("last_seen"), "devices.last_seen", False))
    return list(requests.values()), list(devices.values())


def kitchen_changes(before: dict[str, bool], after: dict[str, bool]) -> dict[str, bool]:
    """Kitchen screens whose online state changed (a revoked one that was online goes off)."""
    changed = {d: on for d, on in after.items() if before.get(d, False) != on}
    changed |= {d: False for d, on in before.items() if on and d not in after}
    return changed

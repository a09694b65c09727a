"""Pairing screens against a real hub for tests: request, approve with the PIN, collect."""

from __future__ import annotations

from typing import Any

from tests.support.processes import Hub, http_json

PIN = "2468"


def request_pairing(hub: Hub, client_type: str, name: str = "",
                    tenant_ids: list[int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"client_type": client_type, "name": name or f"test {client_type}"}
    if tenant_ids is not None:
        body["tenant_ids"] = tenant_ids
    status, answer = http_json(f"{hub.base}/api/pairing", "POST", body)
    assert status == 201, answer
    return dict(answer)


def approve(hub: Hub, code: str, pin: str = PIN) -> tuple[int, Any]:
    return http_json(f"{hub.base}/api/pairing/approve", "POST", {"code": code, "pin": pin})


def pair(hub: Hub, client_type: str, tenant_ids: list[int] | None = None) -> tuple[str, str]:
    """A paired device of `client_type`: (device_id, token)."""
    req = request_pairing(hub, client_type, tenant_ids=tenant_ids)
    status, answer = approve(hub, req["code"])
    assert status == 200, answer
    status, polled = http_json(f"{hub.base}/api/pairing/{req['request_id']}")
    assert status == 200 and polled["status"] == "approved", polled
    return str(polled["device_id"]), str(polled["token"])


def revoke(hub: Hub, device_id: str, pin: str = PIN) -> tuple[int, Any]:
    return http_json(f"{hub.base}/api/devices/{device_id}", "DELETE",
                     headers={"X-Manager-Pin": pin})

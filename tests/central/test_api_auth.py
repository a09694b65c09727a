"""Credentials over real sockets: anonymous refusal, enrollment single use, throttling."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.central.conftest import CentralUnderTest, start_central
from tests.support.processes import http_json

# Every route that needs an admin or a hub, with a body that would otherwise be valid.
PROTECTED = [
    ("GET", "/api/tenants/outlets/"), ("POST", "/api/tenants/outlets/"),
    ("GET", "/api/tenants/outlets/1/"), ("PUT", "/api/tenants/outlets/1/"),
    ("PATCH", "/api/tenants/outlets/1/"), ("POST", "/api/outlets/1/enrollment-tokens"),
    ("POST", "/api/tenants/"), ("PUT", "/api/tenants/1/"), ("PATCH", "/api/tenants/1/"),
    ("DELETE", "/api/tenants/1/"),
    ("POST", "/api/products/"), ("POST", "/api/products/bulk"), ("PUT", "/api/products/1/"),
    ("PATCH", "/api/products/1/"), ("DELETE", "/api/products/1/"),
    ("POST", "/api/categories/"), ("PUT", "/api/categories/1/"),
    ("PATCH", "/api/categories/1/"), ("DELETE", "/api/categories/1/"),
    ("POST", "/api/promotions/"), ("PUT", "/api/promotions/1/"),
    ("PATCH", "/api/promotions/1/"), ("DELETE", "/api/promotions/1/"),
    ("GET", "/api/orders/"), ("GET", "/api/orders/?outlet_id=1"), ("GET", "/api/orders/conflicts"),
    ("GET", "/api/orders/abc/"), ("GET", "/api/sd/hubs"), ("GET", "/api/auth/me"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/hubs/register"), ("POST", "/api/hubs/heartbeat"),
    ("POST", "/api/hubs/orders"), ("POST", "/api/hubs/order-events"),
    ("GET", "/ws/outlet/1/"),
]
BODY = {"name": "x", "hub_id": "h", "outlet_id": 1, "orders": [], "events": [],
        "websocket_url": "ws://10.0.0.1:3001"}


@pytest.mark.parametrize("method,path", PROTECTED)
def test_route_without_credentials_is_401(central: CentralUnderTest, method: str,
                                          path: str) -> None:
    status, body = central.call(method, path, None if method in ("GET", "DELETE") else BODY)
    assert status == 401, body
    assert body["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("token", ["hub_forged", "adm_forged", "dsp_1_forged", "garbage"])
def test_forged_tokens_are_401(central: CentralUnderTest, token: str) -> None:
    status, _ = central.call("GET", "/api/tenants/outlets/", token=token)
    assert status == 401
    status, _ = central.call("POST", "/api/hubs/heartbeat", {}, token=token)
    assert status == 401


def test_hub_and_display_tokens_are_not_admin(central: CentralUnderTest) -> None:
    _, hub_token, display = central.enrolled_hub()
    for token in (hub_token, display):
        status, _ = central.call("POST", "/api/tenants/outlets/", {"name": "x"}, token=token)
        assert status == 401
    status, _ = central.call("POST", "/api/hubs/heartbeat", {}, token=display)
    assert status == 401


def test_login_with_wrong_password_is_401(central: CentralUnderTest) -> None:
    status, body = central.call("POST", "/api/auth/login",
                                {"username": "admin", "password": "wrong"})
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_enrollment_token_works_once(central: CentralUnderTest) -> None:
    outlet = central.new_outlet()
    token = central.enrollment_token(outlet)
    status, first = central.register(outlet, "hub-once", enrollment_token=token)
    assert status == 200 and first["hub_token"].startswith("hub_")
    status, again = central.register(outlet, "hub-once", enrollment_token=token)
    assert status == 401 and again["error"]["code"] == "unauthorized"
    status, _ = central.register(outlet, "hub-thief", enrollment_token=token)
    assert status == 401


def test_hub_token_is_returned_only_at_enrollment(central: CentralUnderTest) -> None:
    outlet = central.new_outlet()
    _, first = central.register(outlet, "hub-secret")
    status, later = central.register(outlet, "hub-secret", hub_token=first["hub_token"])
    assert status == 200 and "hub_token" not in later
    assert later["display_token"] == first["display_token"]
    status, bearer = central.call("POST", "/api/hubs/register", {
        "hub_id": "hub-secret", "outlet_id": outlet, "version": "0.2"},
        token=first["hub_token"])
    assert status == 200 and "hub_token" not in bearer


def test_enrollment_token_for_another_outlet_is_refused(central: CentralUnderTest) -> None:
    a, b = central.new_outlet(), central.new_outlet()
    status, _ = central.register(b, "hub-wrong", enrollment_token=central.enrollment_token(a))
    assert status == 403


def test_expired_and_unknown_enrollment_tokens_are_refused(central: CentralUnderTest) -> None:
    outlet = central.new_outlet()
    out = central.proc.cli("enroll", "--outlet", str(outlet), "--ttl", "0.3")
    token = out.strip().splitlines()[-1]
    assert token.startswith("enr_")
    time.sleep(0.5)
    status, body = central.register(outlet, "hub-late", enrollment_token=token)
    assert status == 401 and "expired" in body["error"]["message"]
    status, _ = central.register(outlet, "hub-guess", enrollment_token="enr_" + "A" * 43)
    assert status == 401


def test_repeated_failures_from_one_address_are_throttled(
        database_url: str, tmp_path: Path) -> None:
    proc = start_central(tmp_path, database_url, CENTRAL_AUTH_FAILURE_LIMIT="3")
    try:
        bad = {"hub_id": "h", "outlet_id": 1, "enrollment_token": "enr_nope"}
        codes = [http_json(proc.base + "/api/hubs/register", "POST", bad)[0] for _ in range(5)]
        assert codes[:3] == [401, 401, 401]
        assert codes[3:] == [429, 429]
        status, body = http_json(proc.base + "/api/auth/login", "POST",
                                 {"username": "a", "password": "b"})
        assert status == 429 and body["error"]["code"] == "rate_limited"
    finally:
        proc.kill()


def test_tokens_never_reach_the_log(central: CentralUnderTest) -> None:
    outlet, hub_token, display = central.enrolled_hub()
    central.call("GET", f"/api/orders/?outlet_id={outlet}&token={display}")
    log = central.proc.log()
    assert hub_token not in log and display not in log and central.admin not in log


def test_admin_panel_files_are_served_without_traversal(tmp_path: Path, database_url: str) -> None:
    ui = tmp_path / "ui"
    (ui / "admin").mkdir(parents=True)
    (ui / "admin" / "index.html").write_text("<h1>admin</h1>")
    (ui / "shared").mkdir()
    (ui / "shared" / "api.js").write_text("export {}")
    (tmp_path / "secret.txt").write_text("nope")
    proc = start_central(tmp_path / "run", database_url, CENTRAL_UI_DIR=str(ui))
    try:
        assert http_json(proc.base + "/admin/")[1] == "<h1>admin</h1>"
        assert http_json(proc.base + "/shared/api.js")[0] == 200
        assert http_json(proc.base + "/admin/missing.js")[0] == 404
        for evil in ("/admin/../secret.txt", "/admin/%2e%2e/%2e%2e/secret.txt",
                     "/shared/..%2f..%2fsecret.txt", "/admin/%2e%2e%2fsecret.txt"):
            status, body = http_json(proc.base + evil)
            assert status == 404 and body != "nope", evil
    finally:
        proc.kill()

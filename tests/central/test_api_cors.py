"""CORS (decision 0102): a page on a hub's origin may call exactly the public cart and the
display-token reads at central; admin and hub routes give a cross-origin browser nothing."""

from __future__ import annotations

import aiohttp
import pytest

from tests.central.conftest import CentralUnderTest

HUB_ORIGIN = "http://192.168.1.10:3001"


async def preflight(central: CentralUnderTest, path: str, method: str,
                    headers: str = "authorization,content-type") -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http, http.options(
            central.base + path, headers={"Origin": HUB_ORIGIN,
                                          "Access-Control-Request-Method": method,
                                          "Access-Control-Request-Headers": headers}) as resp:
        await resp.read()
        return resp


@pytest.mark.parametrize(("path", "method"), [
    ("/api/public/order-groups/", "POST"), ("/api/public/order-groups", "POST"),
    ("/api/orders/", "GET"), ("/api/orders", "GET"), ("/ws/outlet/7/", "GET")])
async def test_preflight_is_answered_on_the_public_and_display_routes(
        central: CentralUnderTest, path: str, method: str) -> None:
    resp = await preflight(central, path, method)
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert resp.headers["Access-Control-Allow-Methods"] == f"{method}, OPTIONS"
    assert "Access-Control-Allow-Credentials" not in resp.headers


@pytest.mark.parametrize(("path", "method"), [
    ("/api/tenants/outlets/", "GET"), ("/api/tenants/outlets/1/", "GET"),
    ("/api/hubs/orders", "POST"), ("/api/hubs/register", "POST"), ("/api/auth/login", "POST"),
    ("/api/outlets/1/enrollment-tokens", "POST"), ("/api/sd/hubs", "GET"),
    ("/api/orders/conflicts", "GET"), ("/api/products/", "POST"), ("/metrics", "GET")])
async def test_admin_and_hub_routes_refuse_cross_origin_browsers(
        central: CentralUnderTest, path: str, method: str) -> None:
    resp = await preflight(central, path, method)
    assert resp.status != 204
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_answers_and_errors_of_open_routes_carry_the_header(
        central: CentralUnderTest) -> None:
    oid, _, display = central.enrolled_hub()
    origin = {"Origin": HUB_ORIGIN}
    async with aiohttp.ClientSession(headers=origin) as http:
        async with http.get(f"{central.base}/api/orders/?outlet_id={oid}",
                            headers={"Authorization": f"Bearer {display}"}) as resp:
            assert resp.status == 200
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
        async with http.get(f"{central.base}/api/orders/?outlet_id={oid}") as resp:
            assert resp.status == 401  # readable by the page, not a network error
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
        async with http.post(f"{central.base}/api/public/order-groups/",
                             json={"outlet_id": oid, "items": []}) as resp:
            assert resp.status == 400
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
        async with http.get(f"{central.base}/api/tenants/outlets/{oid}/",
                            headers={"Authorization": f"Bearer {central.admin}"}) as resp:
            assert resp.status == 200
            assert "Access-Control-Allow-Origin" not in resp.headers
        async with http.ws_connect(f"{central.proc.ws_base}/ws/outlet/{oid}/?token={display}"
                                   ) as ws:
            await ws.send_json({"type": "ping", "timestamp": 3})
            assert await ws.receive_json(timeout=5) == {"type": "pong", "timestamp": 3}

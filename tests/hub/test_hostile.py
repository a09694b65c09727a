"""Hostile pages, networks and input against a real hub process (issue 12 item 5, 13 item 5).

Each test reproduces one attack that worked on the hub as it stood (DNS rebinding,
cross-site writes, floods, path escapes, 500s on odd input, unbounded numbers, squatted
legacy uuids) and checks the refusal and that nothing was stored.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order

TOKEN = "tok-hostile-5c1d9e7a2b3f4a60"


def stored(hub: Hub) -> list[dict[str, Any]]:
    status, rows = http_json(f"{hub.base}/api/orders?since_rev=0&limit=1000")
    assert status == 200, rows
    return list(rows)


def raw_request(port: int, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """An HTTP request sent exactly as written: no client-side path or Host normalisation."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        hdrs = {"Host": f"127.0.0.1:{port}"} | (headers or {})
        for key, value in hdrs.items():
            conn.putheader(key, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


async def upgrade_status(url: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(url, headers=headers)
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        await ws.close()
        return 101


@pytest.fixture
def hub(hub_factory: Callable[..., Hub]) -> Hub:
    return hub_factory()


# -- DNS rebinding --------------------------------------------------------------------------
async def test_websocket_with_rebound_host_and_matching_origin_is_refused(hub: Hub) -> None:
    """evil.example resolving to the hub: Host and Origin agree, and both are the attacker's."""
    evil = f"evil.example:{hub.ws_port}"
    assert await upgrade_status(hub.ws_url, {"Host": evil, "Origin": f"http://{evil}"}) == 403
    # The hub's own names and any address literal still work.
    for host in (f"localhost:{hub.ws_port}", f"127.0.0.1:{hub.ws_port}",
                 f"hub-test.local:{hub.ws_port}"):
        assert await upgrade_status(hub.ws_url, {"Host": host, "Origin": f"http://{host}"}) == 101


def test_http_reads_and_ops_with_rebound_host_are_refused(hub: Hub) -> None:
    evil = {"Host": f"evil.example:{hub.ws_port}"}
    assert raw_request(hub.ws_port, "GET", "/api/orders?since_rev=0", headers=evil)[0] == 403
    assert raw_request(hub.http_port, "GET", "/metrics",
                       headers={"Host": f"evil.example:{hub.http_port}"})[0] == 403
    # Prometheus scrapes by address: an IP literal Host is not a rebinding vector.
    assert raw_request(hub.http_port, "GET", "/metrics",
                       headers={"Host": f"10.0.2.15:{hub.http_port}"})[0] == 200
    assert raw_request(hub.ws_port, "GET", "/api/outlet",
                       headers={"Host": f"[::1]:{hub.ws_port}"})[0] == 200


def test_allowed_hosts_setting_adds_a_name(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_ALLOWED_HOSTS": "orders.foodcourt.example"})
    ok = {"Host": f"orders.foodcourt.example:{hub.ws_port}"}
    assert raw_request(hub.ws_port, "GET", "/api/outlet", headers=ok)[0] == 200
    assert raw_request(hub.ws_port, "GET", "/api/outlet",
                       headers={"Host": "other.example"})[0] == 403


async def test_origin_with_other_scheme_is_refused(hub: Hub) -> None:
    host = f"127.0.0.1:{hub.ws_port}"
    assert await upgrade_status(hub.ws_url, {"Origin": f"https://{host}"}) == 403
    assert await upgrade_status(hub.ws_url, {"Origin": f"http://{host}"}) == 101


# -- cross-site writes ----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/orders", "/emit"])
def test_cross_site_text_plain_order_is_refused_and_not_stored(hub: Hub, path: str) -> None:
    body = json.dumps(make_order("X-1")).encode()
    status, _ = raw_request(hub.ws_port, "POST", path, body, {
        "Origin": "http://evil.example", "Content-Type": "text/plain",
        "Sec-Fetch-Site": "cross-site"})
    assert status == 403
    status, _ = raw_request(hub.ws_port, "PATCH", "/api/orders/whatever",
                            b'{"status":"cancelled"}',
                            {"Origin": "http://evil.example", "Content-Type": "application/json"})
    assert status == 403
    assert stored(hub) == []


def test_same_origin_browser_write_must_be_json_while_devices_keep_working(hub: Hub) -> None:
    origin = f"http://127.0.0.1:{hub.ws_port}"
    body = json.dumps(make_order("S-1")).encode()
    # A page of the hub posting a "simple" request: refused, a browser write is JSON.
    status, answer = raw_request(hub.ws_port, "POST", "/api/orders", body,
                                 {"Origin": origin, "Content-Type": "text/plain"})
    assert status == 415, answer
    assert json.loads(answer)["error"]["code"] == "unsupported_media_type"
    status, _ = raw_request(hub.ws_port, "POST", "/api/orders", body,
                            {"Sec-Fetch-Site": "same-origin"})
    assert status == 415
    # A bodiless write from the page (a DELETE with a header) is not a media-type question.
    assert raw_request(hub.ws_port, "DELETE", "/api/orders/x", None, {"Origin": origin})[0] == 405
    # The same page with JSON: stored.
    assert raw_request(hub.ws_port, "POST", "/api/orders", body,
                       {"Origin": origin, "Content-Type": "application/json"})[0] == 201
    # A seed device sends no Origin and whatever content type it likes.
    seed = json.dumps(make_order("S-2")).encode()
    assert raw_request(hub.ws_port, "POST", "/emit", seed, {"Content-Type": "text/plain"})[0] == 201
    assert sorted(o["order_number"] for o in stored(hub)) == ["S-1", "S-2"]


# -- floods ---------------------------------------------------------------------------------
async def _burst(hub: Hub, count: int, local: str = "127.0.0.1",
                 headers: dict[str, str] | None = None) -> list[int]:
    connector = aiohttp.TCPConnector(local_addr=(local, 0), limit=50)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(i: int) -> int:
            async with session.post(f"{hub.base}/api/orders", json=make_order(f"F-{local}-{i}"),
                                    headers=headers or {}) as resp:
                await resp.read()
                return resp.status
        return list(await asyncio.gather(*(one(i) for i in range(count))))


async def test_http_order_burst_from_one_address_is_limited(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_RATE_LIMIT_EXEMPT": "none"})
    statuses = await _burst(hub, 400)
    accepted = statuses.count(201)
    assert statuses.count(429) > 0 and accepted + statuses.count(429) == 400
    assert 100 <= accepted < 400
    assert len(stored(hub)) == accepted
    # Another address on the same LAN is not punished for its neighbour.
    assert (await _burst(hub, 5, local="127.0.0.2")).count(201) == 5


async def test_one_token_from_many_addresses_is_limited(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_RATE_LIMIT_EXEMPT": "none", "HUB_CLIENT_TOKEN": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    # 150 from each of 6 addresses: under ADDRESS_BURST (200) each, so any 429 is the
    # token's; 900 in all outruns the token's 300 + 30/s however slowly a busy machine
    # sends them (400 did not, once, on a loaded CI worker).
    results = await asyncio.gather(*(_burst(hub, 150, local=f"127.0.0.{n}", headers=auth)
                                      for n in range(2, 8)))
    statuses = [s for r in results for s in r]
    assert statuses.count(429) > 0
    assert set(statuses) <= {201, 429}
    # Every address still got orders through: the token's limit is shared, not one
    # address's exhausted.
    assert all(r.count(201) >= 25 for r in results)


async def test_websocket_writes_share_the_address_limit_across_sockets(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_RATE_LIMIT_EXEMPT": "none"})
    clients = [await WsClient.connect(hub.ws_url, client_type="pos") for _ in range(4)]
    try:
        ids = [[await c.send("new_order", make_order(f"W-{n}-{i}")) for i in range(100)]
               for n, c in enumerate(clients)]
        replies = [await c.reply(i) for c, batch in zip(clients, ids, strict=True)
                   for i in batch]
    finally:
        for c in clients:
            await c.close()
    limited = [r for r in replies if r["type"] == "error"
               and r["payload"]["code"] == "rate_limited"]
    acked = [r for r in replies if r["type"] == "ack"]
    assert limited and len(acked) + len(limited) == 400
    assert len(stored(hub)) == len(acked)


async def test_loopback_is_exempt_by_default_so_the_bench_is_not_throttled(hub: Hub) -> None:
    assert (await _burst(hub, 400)).count(201) == 400


# -- static files ---------------------------------------------------------------------------
def test_app_files_are_confined_to_their_own_folder(hub: Hub) -> None:
    assert raw_request(hub.ws_port, "GET", "/kiosk/%2e%2e/admin/admin.js")[0] == 404
    assert raw_request(hub.ws_port, "GET", "/kiosk/%2e%2e/kitchen/index.html")[0] == 404
    assert raw_request(hub.ws_port, "GET", "/kiosk/%00")[0] in (400, 404)
    assert raw_request(hub.ws_port, "GET", "/kiosk/")[0] == 200


# -- odd input: 400 with a code and a field, never 500 ---------------------------------------
def _post_raw(hub: Hub, text: str) -> tuple[int, Any]:
    status, body = raw_request(hub.ws_port, "POST", "/api/orders", text.encode(),
                               {"Content-Type": "application/json"})
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode(errors="replace")


@pytest.mark.parametrize(("change", "field"), [
    ({"items": [{"name": "\ud800", "qty": 1, "price": "1"}]}, "items[0].name"),
    ({"items": [{"name": "Teh", "qty": "\u00b2", "price": "1"}]}, "items[0].qty"),
    ({"created_at": "0001-01-01T00:00:00+05:00"}, "created_at"),
    ({"items": [{"name": "Teh", "qty": 1, "price": "1e-1000000"}]}, "items[0].price"),
    ({"total_amount": "1e-1000000"}, "total_amount"),
    ({"items": [{"name": "Teh", "qty": 1, "price": "0." + "1" * 200}]}, "items[0].price"),
    ({"customer_name": "\udc00x"}, "customer_name"),
])
def test_hostile_order_fields_get_400_with_the_field(hub: Hub, change: dict[str, Any],
                                                     field: str) -> None:
    order = make_order("H-1") | change
    status, body = _post_raw(hub, json.dumps(order))
    assert status == 400, body
    assert body["error"]["code"] == "validation_failed"
    assert body["error"]["field"] == field
    assert stored(hub) == []


def test_tiny_request_cannot_store_a_huge_order(hub: Hub) -> None:
    order = {"order_number": "B-1", "items": [{"name": "x", "qty": 1, "price": "1e-1000000"}]}
    text = json.dumps(order)
    assert len(text) < 150
    assert _post_raw(hub, text)[0] == 400


@pytest.mark.parametrize(("query", "field"), [
    ("since_id=" + "9" * 30, "since_id"),
    ("since_rev=%C2%B2", "since_rev"),
    ("since_rev=" + "9" * 30, "since_rev"),
    ("limit=%C2%B2", "limit"),
])
def test_hostile_feed_queries_get_400(hub: Hub, query: str, field: str) -> None:
    status, body = http_json(f"{hub.base}/api/orders?{query}")
    assert status == 400, body
    assert body["error"]["field"] == field


async def test_hostile_websocket_positions_get_an_error_not_a_crash(hub: Hub) -> None:
    assert await upgrade_status(f"{hub.ws_url}?since_rev=%C2%B2", {}) == 400
    client = await WsClient.connect(hub.ws_url)
    try:
        reply = await client.request("hello", {"client_type": "kitchen", "since_rev": "\u00b2"})
        assert reply["type"] == "error"
        assert reply["payload"]["code"] == "validation_failed"
        assert reply["payload"]["field"] == "since_rev"
    finally:
        await client.close()


# -- legacy uuids are the hub's to make -----------------------------------------------------
def test_client_chosen_legacy_uuid_cannot_squat_a_seed_number(hub: Hub) -> None:
    squat = make_order("X-9", uuid="legacy:1:K1-0042")
    status, body = http_json(f"{hub.base}/api/orders", "POST", squat)
    assert status == 400 and body["error"]["field"] == "uuid", body
    seed = make_order("K1-0042")
    del seed["uuid"]
    status, body = http_json(f"{hub.base}/api/orders", "POST", seed)
    assert status == 201, body
    assert body["uuid"] == "legacy:1:K1-0042"
    # Naming exactly the uuid the hub would derive is no squat: it is the same order.
    status, body = http_json(f"{hub.base}/api/orders", "POST",
                             seed | {"uuid": "legacy:1:K1-0042"})
    assert status == 200 and body["duplicate"] is True, body


def test_default_hub_id_is_unpredictable_and_stable(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_ID": ""}, name="anon")
    first = http_json(f"{hub.base}/api/outlet")[1]["hub_id"]
    assert first != "hub-outlet-1" and len(first) >= 16
    hub.terminate()
    hub.start()
    assert http_json(f"{hub.base}/api/outlet")[1]["hub_id"] == first
    other = hub_factory(env={"HUB_ID": ""}, name="anon2")
    assert http_json(f"{other.base}/api/outlet")[1]["hub_id"] != first
    explicit = hub_factory(env={"HUB_ID": "hub-malioboro"}, name="named")
    assert http_json(f"{explicit.base}/api/outlet")[1]["hub_id"] == "hub-malioboro"


def test_unknown_uuid_shape_still_refused(hub: Hub) -> None:
    """Sanity: the uuid rule did not loosen (a plain v4 uuid is fine)."""
    status, _ = http_json(f"{hub.base}/api/orders", "POST",
                          make_order("U-1", uuid=str(uuidlib.uuid4())))
    assert status == 201


# -- the pure pieces ------------------------------------------------------------------------
def test_keyed_buckets_forget_the_least_recently_used_key_first() -> None:
    from hub.core.ratelimit import KeyedBuckets

    buckets = KeyedBuckets(rate=0.0, burst=1.0, max_keys=2)
    assert buckets.allow("a", 0.0) and buckets.allow("b", 0.0)
    assert not buckets.allow("a", 0.0)          # a is spent and now the most recent
    assert buckets.allow("c", 0.0)              # evicts b, not a
    assert set(buckets.buckets) == {"a", "c"}
    assert not buckets.allow("a", 0.0)


@pytest.mark.parametrize(("value", "canonical"), [
    ("45000", "45000"), (12.5, "12.5"), ("0.30000000000000004", "0.30000000000000004"),
    ("1E+3", "1000"), ("0.000", "0"), (0, "0"),
])
def test_money_keeps_honest_amounts(value: Any, canonical: str) -> None:
    from outlet_protocol import fields

    assert fields.money(value) == canonical


@pytest.mark.parametrize("value", ["1e-1000000", "1e1000000", "-1", "NaN", "Infinity",
                                   "0." + "1" * 21, "9" * 41, True, None])
def test_money_refuses_unbounded_amounts(value: Any) -> None:
    from outlet_protocol import fields

    with pytest.raises(fields.BoundsError):
        fields.money(value)

"""Who may talk to the hub, and how much: Origin, source allowlist, client token, size and rate.

Real hub processes over real sockets (docs/protocol.md §2-§5, issue 2 "Security from the start").
Every refused write is checked against the database through the change feed: a refusal
that half-wrote an order would be the worst kind of bug here.
"""

from __future__ import annotations

import asyncio
import json
import queue
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.netns import CLIENT_SCRIPT, WAIT_HTTP_SCRIPT, NetnsLab
from tests.support.processes import Hub, Mosquitto, http_json, wait_for_port
from tests.support.wsclient import WsClient, error_code, make_order

TOKEN = "tok-7f3a9c1e5b2d4f60-secret"       # distinctive, so a grep of the log is meaningful
WRONG = "tok-wrong-0b1c2d3e4f5a6978"


# -- helpers -------------------------------------------------------------------------------
def stored_orders(hub: Hub, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every order in the hub's database, read through the change feed (`since_rev=0`)."""
    out: list[dict[str, Any]] = []
    since = 0
    while True:
        status, rows = http_json(f"{hub.base}/api/orders?since_rev={since}&limit=1000",
                                 headers=headers)
        assert status == 200, rows
        out.extend(rows)
        if len(rows) < 1000:
            return out
        since = rows[-1]["rev"]


def count_orders(hub: Hub) -> int:
    return len(stored_orders(hub))


def padded(envelope_or_order: dict[str, Any], size: int) -> str:
    """Valid JSON of at least `size` bytes: the value itself, then whitespace (still valid)."""
    text = json.dumps(envelope_or_order)
    return text + " " * max(0, size - len(text))


async def ws_connect_status(url: str, **kwargs: Any) -> int:
    """The HTTP status the WebSocket upgrade got: 101 when it was accepted."""
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(url, **kwargs)
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        await ws.close()
        return 101


async def wait_closed(client: WsClient, timeout: float = 10.0) -> None:
    """Wait until the hub has closed this client's socket (its reader has ended)."""
    deadline = time.monotonic() + timeout
    while not client.closed:
        if time.monotonic() > deadline:
            raise TimeoutError(f"socket still open after {timeout}s")
        await asyncio.sleep(0.02)


async def hello(client: WsClient, fields: dict[str, Any]) -> dict[str, Any]:
    """Send `hello` and wait for the `connected` it answers with (which carries no ref)."""
    seen = len(client.of_type("connected"))
    await client.send("hello", fields)
    await client.wait_for(lambda m: len(client.of_type("connected")) > seen)
    return client.of_type("connected")[-1]


class MqttDevice:
    """A plain paho client in the test: publishes to orders/submit, reads orders/ack/<id>."""

    def __init__(self, broker: Mosquitto, outlet_id: int = 1) -> None:
        self.client_id = f"dev{uuidlib.uuid4().hex[:8]}"
        self.root = f"kitchen-sync/{outlet_id}/"
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.subscribed = queue.Queue[int]()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id)
        self.client.on_message = lambda _c, _u, m: self.replies.put(json.loads(m.payload))
        self.client.on_subscribe = lambda *_a: self.subscribed.put(1)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        self.client.subscribe(f"{self.root}orders/ack/{self.client_id}", qos=1)
        self.subscribed.get(timeout=10)

    def submit(self, order: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        ref = uuidlib.uuid4().hex
        body: dict[str, Any] = {"client_id": self.client_id, "order": order, "id": ref}
        if token is not None:
            body["token"] = token
        self.client.publish(f"{self.root}orders/submit", json.dumps(body), qos=1)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            reply = self.replies.get(timeout=max(0.01, deadline - time.monotonic()))
            if reply.get("ref") == ref:
                return reply
        raise TimeoutError("no answer on orders/ack")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(pred: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not reached after {timeout}s")


@pytest.fixture
def lab() -> Iterator[NetnsLab]:
    netns = NetnsLab()
    try:
        yield netns
    finally:
        netns.cleanup()


# -- Origin --------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["http://evil.example", "https://evil.example:3001",
                                    "http://127.0.0.1.evil.example", "null"])
async def test_websocket_upgrade_with_foreign_origin_is_refused_with_403(
        hub_factory: Callable[..., Hub], origin: str) -> None:
    hub = hub_factory()
    for path in ("/ws", "/"):
        status = await ws_connect_status(f"ws://127.0.0.1:{hub.ws_port}{path}",
                                         headers={"Origin": origin})
        assert status == 403, (path, origin)
    assert (await asyncio.to_thread(http_json, f"{hub.ops}/clients"))[1]["total"] == 0


async def test_websocket_upgrade_from_other_port_on_same_host_is_refused(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    origin = f"http://127.0.0.1:{hub.ws_port + 1}"     # a different origin: another port
    assert await ws_connect_status(hub.ws_url, headers={"Origin": origin}) == 403


async def test_websocket_same_host_origin_allowed_origin_and_no_origin_are_accepted(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_ALLOWED_ORIGINS": "http://kiosk.local:8080,https://pos.example"})
    same_host = f"http://127.0.0.1:{hub.ws_port}"
    for headers in ({"Origin": same_host}, {"Origin": "http://kiosk.local:8080"},
                    {"Origin": "https://pos.example"}, {}):
        client = await WsClient.connect(hub.ws_url, headers=headers, client_type="pos")
        try:
            await client.wait_for(lambda m: m["type"] == "connected")
            ack = await client.submit(make_order(f"O-{len(headers)}-{uuidlib.uuid4().hex[:6]}"))
            assert ack["type"] == "ack", (headers, ack)
        finally:
            await client.close()
    # An origin that is not configured stays refused on the same hub.
    assert await ws_connect_status(hub.ws_url, headers={"Origin": "http://kiosk.local:9090"}) == 403


# -- source-address allowlist ---------------------------------------------------------------
async def test_address_outside_allowed_networks_is_refused_on_both_ports_and_writes_nothing(
        hub_factory: Callable[..., Hub]) -> None:
    seed = hub_factory()
    first = make_order("A-1")
    assert (await asyncio.to_thread(http_json, f"{seed.base}/api/orders", "POST", first))[0] == 201
    assert seed.terminate() == 0

    # Same database, but loopback is no longer an allowed network.
    hub = hub_factory(start=False, env={"HUB_ALLOWED_NETWORKS": "10.0.0.0/8"})
    hub.start(wait=False)
    await asyncio.to_thread(wait_for_port, hub.http_port)
    await asyncio.to_thread(wait_for_port, hub.ws_port)
    requests = [
        ("GET", f"{hub.base}/api/orders?since_rev=0", None),
        ("GET", f"{hub.base}/api/orders?outlet_id=1&since_id=0", None),
        ("POST", f"{hub.base}/api/orders", make_order("A-2")),
        ("POST", f"{hub.base}/emit", make_order("A-3")),
        ("PATCH", f"{hub.base}/api/orders/{first['uuid']}", {"status": "preparing"}),
        ("GET", f"{hub.base}/api/outlet", None),
        ("GET", f"{hub.ops}/health", None),
        ("GET", f"{hub.ops}/clients", None),
        ("GET", f"{hub.ops}/metrics", None),
    ]
    for method, url, body in requests:
        status, reply = await asyncio.to_thread(http_json, url, method, body)
        assert status == 403, (method, url, status, reply)
    for path in ("/ws", "/"):
        assert await ws_connect_status(f"ws://127.0.0.1:{hub.ws_port}{path}") == 403
    assert hub.terminate() == 0

    again = hub_factory()
    orders = await asyncio.to_thread(stored_orders, again)
    assert [(o["uuid"], o["status"]) for o in orders] == [(first["uuid"], "pending")]


def test_client_in_namespace_outside_allowlist_is_refused_while_allowed_network_is_served(
        hub_factory: Callable[..., Hub], lab: NetnsLab) -> None:
    # The hub runs in a namespace of its own, not on this host: an interface that comes and
    # goes here makes Chromium abort the browser tests' requests in flight (ERR_NETWORK_CHANGED).
    hub_ns = lab.namespace("hub")
    refused_ns, allowed_ns = lab.namespace("refused"), lab.namespace("allowed")
    hub_side, refused_side = lab.veth(hub_ns, refused_ns)
    allowed_hub_side, allowed_side = lab.veth(hub_ns, allowed_ns)
    lab.route(refused_ns, "default", via=hub_side.address)
    lab.route(allowed_ns, "default", via=allowed_hub_side.address)

    # The hub listens on its end of the refused namespace's link, so the refused client
    # reaches it directly; only the allowed namespace's /30 may talk to it.
    hub = hub_factory(start=False, env={"HUB_BIND": hub_side.address,
                                        "HUB_ALLOWED_NETWORKS": allowed_side.network})
    lab.adopt(hub, hub_ns)
    hub.start(wait=False)
    for port, path in ((hub.http_port, "/health"), (hub.ws_port, "/api/outlet")):
        ready = lab.python(allowed_ns, WAIT_HTTP_SCRIPT, {"url": f"http://{hub_side.address}:{port}{path}"})
        assert ready["status"] == 200, (ready, hub.log())
    base = f"http://{hub_side.address}:{hub.ws_port}"
    ops = f"http://{hub_side.address}:{hub.http_port}"
    ws = f"ws://{hub_side.address}:{hub.ws_port}/ws"
    feed = {"op": "http", "url": f"{base}/api/orders?since_rev=0"}

    before = lab.python(allowed_ns, CLIENT_SCRIPT, [
        feed, {"op": "http", "method": "POST", "url": f"{base}/api/orders",
               "body": make_order("NS-ALLOWED-1")},
        {"op": "http", "url": f"{ops}/health"}])
    assert [r["status"] for r in before] == [200, 201, 200], before
    assert before[0]["body"] == []

    refused_order = make_order("NS-REFUSED-1")
    refused = lab.python(refused_ns, CLIENT_SCRIPT, [
        feed,
        {"op": "http", "method": "POST", "url": f"{base}/api/orders", "body": refused_order},
        {"op": "http", "method": "POST", "url": f"{base}/emit", "body": refused_order},
        {"op": "http", "url": f"{ops}/health"},
        {"op": "http", "url": f"{ops}/metrics"},
        {"op": "ws", "url": ws, "send": [{"type": "new_order", "id": "r1",
                                          "payload": refused_order}]},
    ])
    assert [r["status"] for r in refused] == [403] * 6, refused
    assert refused[1]["body"]["error"]["code"] == "forbidden"

    after = lab.python(allowed_ns, CLIENT_SCRIPT, [
        feed, {"op": "ws", "url": ws, "send": [
            {"type": "new_order", "id": "a1", "payload": make_order("NS-ALLOWED-2")}]}])
    assert after[0]["status"] == 200
    assert [o["order_number"] for o in after[0]["body"]] == ["NS-ALLOWED-1"]
    assert after[1]["status"] == 101
    assert after[1]["replies"][0]["type"] == "ack", after[1]
    assert "not in allowed networks" in hub.log()
    assert refused_side.address in hub.log()


# -- client token ---------------------------------------------------------------------------
@pytest.fixture
def token_hub(hub_factory: Callable[..., Hub]) -> Hub:
    return hub_factory(env={"HUB_CLIENT_TOKEN": TOKEN, "HUB_LOG_LEVEL": "debug"})


def seed_order(hub: Hub, number: str) -> dict[str, Any]:
    order = make_order(number)
    status, ack = http_json(f"{hub.base}/api/orders", "POST", order,
                            headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 201, ack
    return order


async def test_websocket_writes_without_token_are_unauthorized_and_change_nothing(
        token_hub: Hub) -> None:
    hub = token_hub
    existing = await asyncio.to_thread(seed_order, hub, "T-1")
    before = await asyncio.to_thread(stored_orders, hub)
    client = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="k-no-token")
    try:
        await client.wait_for(lambda m: m["type"] == "connected")
        for kind, payload in (("new_order", make_order("T-2")),
                              ("order_update", {"uuid": existing["uuid"], "status": "preparing"}),
                              ("ack_order", {"uuid": existing["uuid"]})):
            reply = await client.request(kind, payload)
            assert error_code(reply) == "unauthorized", (kind, reply)
            assert reply["payload"].get("field") == "token"
        # A hello without a token changes nothing either.
        await hello(client, {"client_type": "kitchen"})
        assert error_code(await client.request("new_order", make_order("T-3"))) == "unauthorized"
        assert not client.closed
    finally:
        await client.close()
    assert await asyncio.to_thread(stored_orders, hub) == before


async def test_websocket_writes_with_token_in_query_or_hello_are_accepted(token_hub: Hub) -> None:
    hub = token_hub
    by_query = await WsClient.connect(hub.ws_url, client_type="pos", token=TOKEN)
    by_hello = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="k-hello")
    try:
        ack = await by_query.submit(make_order("Q-1"))
        assert ack["type"] == "ack", ack
        uuid = ack["payload"]["uuid"]
        await hello(by_hello, {"client_type": "kitchen", "client_id": "k-hello", "token": TOKEN})
        assert (await by_hello.request("ack_order", {"uuid": uuid}))["type"] == "ack"
        update = await by_hello.request("order_update", {"uuid": uuid, "status": "preparing"})
        assert update["type"] == "ack" and update["payload"]["status"] == "preparing", update
        assert (await by_hello.submit(make_order("H-1")))["type"] == "ack"
    finally:
        await by_query.close()
        await by_hello.close()
    orders = {o["order_number"]: o for o in await asyncio.to_thread(stored_orders, hub)}
    assert set(orders) == {"Q-1", "H-1"}
    assert orders["Q-1"]["status"] == "preparing"
    assert "k-hello" in orders["Q-1"]["acknowledged_by"]


async def test_wrong_token_in_hello_closes_socket_with_1008(token_hub: Hub) -> None:
    hub = token_hub
    client = await WsClient.connect(hub.ws_url, client_type="pos")
    try:
        reply = await client.request("hello", {"client_type": "pos", "token": WRONG})
        assert error_code(reply) == "unauthorized", reply
        await wait_closed(client)
    finally:
        await client.close()
    assert client.close_code == 1008
    # A wrong token on the upgrade itself is refused before the socket opens.
    assert await ws_connect_status(f"{hub.ws_url}?token={WRONG}") == 401
    assert await asyncio.to_thread(count_orders, hub) == 0


async def test_http_writes_need_the_token_as_bearer(token_hub: Hub) -> None:
    hub = token_hub
    existing = await asyncio.to_thread(seed_order, hub, "B-1")
    before = await asyncio.to_thread(stored_orders, hub)
    refusals = [
        ("POST", "/api/orders", make_order("B-2"), {}),
        ("POST", "/emit", make_order("B-3"), {}),
        ("POST", "/api/orders", make_order("B-4"), {"Authorization": f"Bearer {WRONG}"}),
        ("PATCH", f"/api/orders/{existing['uuid']}", {"status": "preparing"}, {}),
        ("PATCH", f"/api/orders/{existing['uuid']}", {"status": "preparing"},
         {"Authorization": f"Bearer {WRONG}"}),
    ]
    for method, path, body, headers in refusals:
        status, reply = await asyncio.to_thread(http_json, hub.base + path, method, body, headers)
        assert status == 401, (method, path, headers, reply)
        assert reply["error"]["code"] == "unauthorized"
    assert await asyncio.to_thread(stored_orders, hub) == before

    bearer = {"Authorization": f"Bearer {TOKEN}"}
    status, ack = await asyncio.to_thread(http_json, f"{hub.base}/api/orders", "POST",
                                          make_order("B-5"), bearer)
    assert status == 201, ack
    status, order = await asyncio.to_thread(http_json, f"{hub.base}/api/orders/{existing['uuid']}",
                                            "PATCH", {"status": "preparing"}, bearer)
    assert status == 200 and order["status"] == "preparing", order
    numbers = sorted(o["order_number"] for o in await asyncio.to_thread(stored_orders, hub))
    assert numbers == ["B-1", "B-5"]


def test_mqtt_submit_needs_the_token_in_the_payload(hub_factory: Callable[..., Hub],
                                                    mosquitto: Mosquitto) -> None:
    hub = hub_factory(env={"HUB_CLIENT_TOKEN": TOKEN, "HUB_MQTT_URL": mosquitto.url,
                           "HUB_LOG_LEVEL": "debug"})
    wait_until(lambda: http_json(f"{hub.ops}/health")[1]["mqtt"] == "connected",
               what="hub connected to the broker")
    device = MqttDevice(mosquitto)
    try:
        for token in (None, WRONG, ""):
            reply = device.submit(make_order(f"M-no-{token}"), token=token)
            assert reply["type"] == "error", reply
            assert reply["payload"]["code"] == "unauthorized", reply
        assert count_orders(hub) == 0
        accepted = make_order("M-1")
        reply = device.submit(accepted, token=TOKEN)
        assert reply["type"] == "ack", reply
        assert reply["payload"]["uuid"] == accepted["uuid"]
    finally:
        device.close()
    assert [o["order_number"] for o in stored_orders(hub)] == ["M-1"]
    assert TOKEN not in hub.log() and WRONG not in hub.log()


async def test_client_token_never_appears_in_hub_log(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_CLIENT_TOKEN": TOKEN, "HUB_LOG_LEVEL": "debug"})
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    await asyncio.to_thread(http_json, f"{hub.base}/api/orders?token={TOKEN}", "POST",
                            make_order("L-1"))
    await asyncio.to_thread(http_json, f"{hub.base}/api/orders", "POST", make_order("L-2"), bearer)
    await asyncio.to_thread(http_json, f"{hub.base}/api/orders", "POST", make_order("L-3"),
                            {"Authorization": f"Bearer {WRONG}"})
    await asyncio.to_thread(http_json, f"{hub.base}/api/orders?since_rev=0&token={TOKEN}")
    await ws_connect_status(f"{hub.ws_url}?token={WRONG}")
    await ws_connect_status(f"{hub.ws_url}?token={TOKEN}", headers={"Origin": "http://evil.example"})
    good = await WsClient.connect(hub.ws_url, client_type="pos", token=TOKEN)
    bad = await WsClient.connect(hub.ws_url, client_type="pos")
    try:
        assert (await good.submit(make_order("L-4")))["type"] == "ack"
        await bad.send("hello", {"client_type": "pos", "token": WRONG})
        await wait_closed(bad)
    finally:
        await good.close()
        await bad.close()
    assert hub.terminate() == 0
    log = hub.log()
    assert "shutting down" in log             # the log is the hub's, and it was written
    assert TOKEN not in log
    assert WRONG not in log


# -- size and rate limits ------------------------------------------------------------------
async def test_websocket_frame_over_64_kib_closes_with_1009_while_other_client_keeps_working(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    bystander = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos-ok")
    abuser = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos-big")
    try:
        await bystander.wait_for(lambda m: m["type"] == "connected")
        await abuser.wait_for(lambda m: m["type"] == "connected")
        # Just under the limit: answered (an unknown type), and the socket stays open.
        near = padded({"type": "no_such_type", "id": "near", "payload": {}}, 60 * 1024)
        await abuser.send_raw(near)
        assert error_code(await abuser.reply("near")) == "unknown_type"
        # Over the limit: a valid order padded with whitespace. Without the frame limit it
        # would be stored; with it the socket is closed with 1009 "message too big".
        big = padded({"type": "new_order", "id": "big", "payload": make_order("BIG-1")},
                     64 * 1024 + 512)
        await abuser.send_raw(big)
        await wait_closed(abuser)
        assert abuser.close_code == 1009
        ack = await bystander.submit(make_order("OK-1"))
        assert ack["type"] == "ack", ack
        assert not bystander.closed
    finally:
        await bystander.close()
        await abuser.close()
    numbers = [o["order_number"] for o in await asyncio.to_thread(stored_orders, hub)]
    assert numbers == ["OK-1"]


async def test_http_body_over_256_kib_gets_413_too_large_and_stores_nothing(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    async with aiohttp.ClientSession() as session:
        for path in ("/api/orders", "/emit"):
            body = padded(make_order(f"HUGE{path.replace('/', '-')}"), 256 * 1024 + 1024)
            async with session.post(hub.base + path, data=body,
                                    headers={"Content-Type": "application/json"}) as resp:
                assert resp.status == 413, path
                assert (await resp.json())["error"]["code"] == "too_large"
        # Just under the limit the same kind of body is read and stored.
        body = padded(make_order("FITS-1"), 250 * 1024)
        async with session.post(f"{hub.base}/api/orders", data=body,
                                headers={"Content-Type": "application/json"}) as resp:
            assert resp.status == 201, await resp.text()
    numbers = [o["order_number"] for o in await asyncio.to_thread(stored_orders, hub)]
    assert numbers == ["FITS-1"]


async def test_flood_is_rate_limited_then_closed_with_1008_while_other_pos_is_acked(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    flooder = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos-flood")
    honest = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos-honest")
    await flooder.wait_for(lambda m: m["type"] == "connected")
    await honest.wait_for(lambda m: m["type"] == "connected")
    flood_uuids: set[str] = set()
    sent = 0

    async def flood() -> None:
        nonlocal sent
        while not flooder.closed and sent < 50_000:
            order = make_order(f"F-{sent}")
            flood_uuids.add(order["uuid"])
            try:
                await flooder.ws.send_str(json.dumps({"type": "new_order", "id": f"f{sent}",
                                                      "payload": order}))
            except (ConnectionError, RuntimeError, aiohttp.ClientError):
                return
            sent += 1
            if sent % 50 == 0:
                await asyncio.sleep(0)       # let the reader record what comes back

    honest_acks: list[dict[str, Any]] = []

    async def keep_ordering() -> None:
        n = 0
        while not flooder.closed:
            n += 1
            honest_acks.append(await honest.submit(make_order(f"H-{n}"), timeout=20))
            await asyncio.sleep(0.05)

    try:
        flooding = asyncio.create_task(flood())
        ordering = asyncio.create_task(keep_ordering())
        await wait_closed(flooder, 40)
        await flooding
        await asyncio.wait_for(ordering, 20)
        after = await honest.submit(make_order("H-after"))
        assert after["type"] == "ack", after
    finally:
        await flooder.close()
        await honest.close()

    refused = [m for m in flooder.messages if error_code(m) == "rate_limited"]
    assert refused, "the flood was never rate limited"
    assert flooder.close_code == 1008
    assert honest_acks and all(a["type"] == "ack" for a in honest_acks), honest_acks[-3:]
    stored = await asyncio.to_thread(stored_orders, hub)
    stored_numbers = {o["order_number"] for o in stored}
    assert {a["payload"]["order_number"] for a in honest_acks} | {"H-after"} <= stored_numbers
    flood_stored = [o for o in stored if o["uuid"] in flood_uuids]
    # Every message was either let through (and maybe stored) or refused; a refused write
    # that got stored anyway would push the sum past what was sent.
    assert len(flood_stored) + len(refused) <= sent, (len(flood_stored), len(refused), sent)


async def test_rate_limited_error_carries_the_ref_of_the_refused_message(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    client = await WsClient.connect(hub.ws_url, client_type="pos")
    try:
        await client.wait_for(lambda m: m["type"] == "connected")
        refused = await client.flood_pings()
    finally:
        await client.close()
    # docs/protocol.md §2: replies to a message that carried an `id` carry it as `ref`; a POS
    # needs it to know which order to resend.
    assert str(refused.get("ref", "")).startswith("p"), refused

"""Every error code of docs/protocol.md §2 provoked over real sockets; the connection and the data survive."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order


def count_orders(hub: Hub) -> int:
    status, rows = http_json(f"{hub.base}/api/orders?since_rev=0&limit=1000")
    assert status == 200
    return len(rows)


async def still_open(c: WsClient) -> None:
    pong = await c.request("ping", {"timestamp": 1})
    assert pong["type"] == "pong"


async def expect_error(c: WsClient, raw: str | None, code: str, field: str | None = None,
                       kind: str = "", payload: Any = None) -> dict[str, Any]:
    if raw is not None:
        before = len(c.messages)
        await c.send_raw(raw)
        msg = await c.wait_for(lambda m: m["type"] == "error" and c.messages.index(m) >= before)
    else:
        msg = await c.request(kind, payload)
    assert msg["type"] == "error", msg
    assert msg["payload"]["code"] == code, msg
    if field is not None:
        assert msg["payload"].get("field") == field, msg
    await still_open(c)
    return msg


async def test_every_ws_error_code_is_answered_and_changes_nothing(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    c = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos-e")
    good = make_order("E-1", 1)
    await c.submit(good)
    await c.request("order_update", {"uuid": good["uuid"], "status": "completed"})
    n = count_orders(hub)

    await expect_error(c, "{not json", "invalid_json")
    await expect_error(c, "[1, 2, 3]", "invalid_message")
    await expect_error(c, '{"payload": {}}', "invalid_message", "type")
    await c.ws.send_bytes(b"\x00\x01")
    await c.wait_for(lambda m: m["type"] == "error" and m["payload"]["code"] == "invalid_message")
    err = await expect_error(c, None, "unknown_type", "type", kind="dance", payload={})
    assert err["ref"]                                    # replies carry the request id as ref
    await expect_error(c, None, "validation_failed", "items[0].qty", kind="new_order",
                       payload=make_order("E-2", 1, qty=0))
    await expect_error(c, None, "validation_failed", "order_number", kind="new_order",
                       payload={"items": []})
    await expect_error(c, None, "conflict", "uuid", kind="new_order",
                       payload=dict(good, items=[{"name": "Other", "qty": 9, "price": "1"}]))
    await expect_error(c, None, "outlet_mismatch", "outlet_id", kind="new_order",
                       payload=make_order("E-3", 1, outlet_id=2))
    await expect_error(c, None, "outlet_mismatch", "outlet_id", kind="hello",
                       payload={"client_type": "kitchen", "outlet_id": 7})
    await expect_error(c, None, "invalid_transition", "status", kind="order_update",
                       payload={"uuid": good["uuid"], "status": "pending"})
    await expect_error(c, None, "not_found", kind="order_update",
                       payload={"uuid": "nope", "status": "ready"})
    await expect_error(c, None, "not_found", kind="ack_order", payload={"uuid": "nope"})
    await expect_error(c, None, "validation_failed", "status", kind="order_update",
                       payload={"uuid": good["uuid"], "status": "burnt"})
    assert count_orders(hub) == n
    status, rows = http_json(f"{hub.base}/api/orders/{good['uuid']}")
    assert status == 200 and rows["status"] == "completed"
    await c.close()


async def test_http_errors_use_the_same_codes(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    good = make_order("H-1", 1)
    assert http_json(f"{hub.base}/api/orders", "POST", good)[0] == 201
    again = http_json(f"{hub.base}/emit", "POST", good)
    assert again[0] == 200 and again[1]["duplicate"] is True
    cases = [
        (http_json(f"{hub.base}/api/orders", "POST", dict(good, notes="changed")), 409, "conflict"),
        (http_json(f"{hub.base}/api/orders", "POST", {"order_number": "x"}), 400, "validation_failed"),
        (http_json(f"{hub.base}/api/orders", "POST", make_order("H-2", outlet_id=5)), 400,
         "outlet_mismatch"),
        (http_json(f"{hub.base}/api/orders/{good['uuid']}", "PATCH", {"status": "undo"}), 409,
         "invalid_transition"),
        (http_json(f"{hub.base}/api/orders/missing", "PATCH", {"status": "ready"}), 404, "not_found"),
        (http_json(f"{hub.base}/api/orders?outlet_id=2&since_id=0"), 400, "outlet_mismatch"),
        (http_json(f"{hub.base}/api/orders?since_rev=-1"), 400, "validation_failed"),
    ]
    for (status, body), want_status, code in cases:
        assert status == want_status and body["error"]["code"] == code, body
    import urllib.request
    req = urllib.request.Request(f"{hub.base}/api/orders", data=b"{oops", method="POST")
    try:
        urllib.request.urlopen(req, timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 400 and json.loads(exc.read())["error"]["code"] == "invalid_json"
    status, body = http_json(f"{hub.base}/api/orders", "POST",
                             dict(make_order("H-3"), notes="x" * 300_000))
    assert status == 413 and body["error"]["code"] == "too_large"
    _, rows = http_json(f"{hub.base}/api/orders?since_rev=0")
    assert [r["order_number"] for r in rows] == ["H-1"]


async def test_unauthorized_and_rate_limited(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_CLIENT_TOKEN": "s3cret-kitchen-token"})
    c = await WsClient.connect(hub.ws_url, client_type="pos")
    await expect_error(c, None, "unauthorized", "token", kind="new_order", payload=make_order("U-1"))
    limited = await c.flood_pings()
    assert limited["payload"]["message"]
    await c.close()
    assert count_orders(hub) == 0


@pytest.fixture
def db_lock() -> Iterator[Callable[[Path], threading.Event]]:
    """Hold SQLite's write lock from another process-like connection until released."""
    releases: list[threading.Event] = []

    def lock(path: Path) -> threading.Event:
        release, held = threading.Event(), threading.Event()

        def hold() -> None:
            db = sqlite3.connect(path, timeout=30)
            db.execute("BEGIN EXCLUSIVE")
            held.set()
            release.wait(60)
            db.rollback()
            db.close()

        threading.Thread(target=hold, daemon=True).start()
        assert held.wait(10)
        releases.append(release)
        return release

    yield lock
    for r in releases:
        r.set()


async def test_unavailable_when_the_database_cannot_commit_and_recovery_after(
        hub_factory: Callable[..., Hub], db_lock: Callable[[Path], threading.Event]) -> None:
    hub = hub_factory()
    c = await WsClient.connect(hub.ws_url, client_type="pos")
    order = make_order("DB-1", 1)
    release = db_lock(hub.data_dir / "hub.sqlite3")
    reply = await c.submit(order, timeout=30)
    assert reply["type"] == "error" and reply["payload"]["code"] == "unavailable"
    status, health = http_json(f"{hub.ops}/health")
    assert status == 503 and health["db"] == "error"
    release.set()
    await asyncio.sleep(0.2)
    ack = await c.submit(order, timeout=30)                   # the kiosk retries, same uuid
    assert ack["type"] == "ack" and ack["payload"]["duplicate"] is False
    status, health = http_json(f"{hub.ops}/health")
    assert status == 200 and health["db"] == "ok"
    await c.close()


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    hub = Hub(tmp_path_factory.mktemp("fuzz"))
    hub.start()
    yield hub
    hub.kill()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5),
    max_leaves=25)
envelopes = st.fixed_dictionaries(
    {"type": st.sampled_from(["new_order", "order_update", "ack_order", "hello", "ping",
                              "replay", "x"]) | st.text(max_size=10)},
    optional={"payload": json_values | st.fixed_dictionaries({}, optional={
        "uuid": json_values, "order_number": json_values, "status": json_values,
        "items": json_values, "since_rev": json_values, "tenant_ids": json_values,
        "client_type": json_values, "outlet_id": json_values}), "id": json_values})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(envelopes | json_values, min_size=1, max_size=6))
def test_arbitrary_json_never_crashes_the_hub_or_closes_the_socket(fuzz_hub: Hub,
                                                                   frames: list[Any]) -> None:
    async def run() -> None:
        c = await WsClient.connect(fuzz_hub.ws_url)
        try:
            for frame in frames:
                await c.send_raw(json.dumps(frame))
            await still_open(c)
        finally:
            await c.close()

    asyncio.run(run())
    assert fuzz_hub.alive
    assert "Traceback" not in fuzz_hub.log()

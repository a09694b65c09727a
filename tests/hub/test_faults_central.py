"""A misbehaving central, endpoint by endpoint: the hub never loses, duplicates or stops.

The fake central (tests/support/fake_central.py) answers 500, garbage, a wrong schema or
hangs for 60 s on one endpoint at a time while a real hub subprocess keeps working; the
hub's central timeout is 1 s, so a hang costs a second, not a minute. Each phase checks
that `/health` is degraded and names the endpoint and the fault, that orders are still
acknowledged locally, and that the hub recovers by itself once central behaves.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.central.conftest import hub_enrolled_at_new_central
from tests.support.fake_central import FakeCentral
from tests.support.faults import (
    RECOVERY_SECONDS,
    Till,
    assert_exactly_once_at_central,
    eventually,
    health,
    healthy_again,
    reason_with,
    restarted_tasks,
    restarts,
)
from tests.support.processes import Hub, Process, http_json
from tests.support.wsclient import make_order

FAULTS = ("500", "garbage", "schema", "hang")
# What the reason on /health must say for each fault (besides naming the endpoint).
FAULT_WORDS = {"500": "HTTP 500", "garbage": "not JSON", "schema": "expected",
               "hang": "no answer within 1 s"}
ENDPOINT_WORDS = {"register": "/api/hubs/register", "heartbeat": "/api/hubs/heartbeat",
                  "orders": "/api/hubs/orders", "order-events": "/api/hubs/order-events",
                  "menu": "/api/tenants/", "online-orders": "/api/orders/",
                  "dead-letters": "/api/hubs/dead-letters"}
# A wrong schema is reported by the hub's own check, which names the call its own way.
SCHEMA_WORDS = {"register": "register: expected", "heartbeat": "heartbeat: expected",
                "orders": "orders: expected", "order-events": "order-events: expected",
                "menu": "menu tenants: expected", "online-orders": "online orders: expected",
                "dead-letters": "dead-letters: expected"}
WS_FAULT_WORDS = {"500": "500", "garbage": "200", "schema": "JSONDecodeError",
                  "hang": "TimeoutError"}


@pytest.fixture
def central() -> Iterator[FakeCentral]:
    fake = FakeCentral()
    fake.start()
    yield fake
    fake.stop()


def start_hub(hub_factory: Callable[..., Hub], central: FakeCentral, start: bool = True) -> Hub:
    return hub_factory(start=start, env={
        "HUB_CENTRAL_URL": central.url, "HUB_ENROLLMENT_TOKEN": "fake-enrollment",
        "HUB_HEARTBEAT_SECONDS": "0.5", "HUB_CENTRAL_TIMEOUT_SECONDS": "1"})


def phase(hub: Hub, central: FakeCentral, endpoint: str, fault: str,
          trigger: Callable[[], None], recovered: Callable[[], bool]) -> None:
    """One fault on one endpoint: degraded with the reason, then healed by the hub itself."""
    central.set_fault(endpoint, fault)
    trigger()
    words = [FAULT_WORDS[fault], ENDPOINT_WORDS[endpoint]]
    if fault == "schema":
        words = [SCHEMA_WORDS[endpoint]]
    eventually(lambda: reason_with(hub, *words), f"{endpoint}/{fault} named on /health")
    assert hub.alive
    central.set_fault(endpoint, "ok")
    eventually(recovered, f"{endpoint}/{fault}: the hub recovers by itself", RECOVERY_SECONDS)
    healthy_again(hub, f"{endpoint}/{fault}: /health ok again")


def test_register_faults_keep_the_hub_taking_orders_and_it_enrolls_when_central_behaves(
        central: FakeCentral, hub_factory: Callable[..., Hub]) -> None:
    """Central failing the registration (the first call) four ways: each time the hub starts,
    acks orders locally, says why on /health, and enrolls and forwards once central answers."""
    hub = start_hub(hub_factory, central, start=False)
    till = Till(hub)
    for fault in FAULTS:
        central.set_fault("register", fault)
        hub.start()
        phase(hub, central, "register", fault, lambda: till.sell(),
              lambda: set(till.acked) <= set(central.orders))
        assert restarts(hub) == 0, restarted_tasks(hub)
        hub.terminate()
    assert_exactly_once_at_central(central, till.acked)


@pytest.mark.parametrize("endpoint", ["heartbeat", "orders", "order-events", "menu",
                                      "dead-letters"])
def test_a_misbehaving_central_endpoint_is_named_and_ridden_out(
        endpoint: str, central: FakeCentral, hub_factory: Callable[..., Hub]) -> None:
    """500 / garbage / wrong schema / a 60 s hang on one endpoint: orders are still acked,
    /health names the endpoint and fault, nothing is lost or sent twice, no loop dies, and
    the hub catches up by itself when central behaves again."""
    hub = start_hub(hub_factory, central)
    till = Till(hub)
    till.sell()
    eventually(lambda: set(till.acked) <= set(central.orders), "registered and syncing")
    invalid: set[str] = set()
    for fault in FAULTS:
        trigger: Callable[[], None]
        recovered: Callable[[], bool]
        if endpoint in ("heartbeat", "orders"):
            trigger = lambda: None if endpoint == "heartbeat" else till.sell()  # noqa: E731
            recovered = lambda: set(till.acked) <= set(central.orders)  # noqa: E731
        elif endpoint == "order-events":
            target = till.sell()
            eventually(lambda t=target: t in central.orders, "order at central before its event")

            def trigger(target: str = target) -> None:
                status, body = http_json(f"{hub.base}/api/orders/{target}", "PATCH",
                                         {"status": "preparing"})
                assert status == 200, body

            recovered = lambda t=target: any(u == t for u, _ in central.events)  # noqa: E731
        elif endpoint == "menu":
            def trigger() -> None:
                central.menu_version += 1

            recovered = lambda: health(hub)["menu_version"] == central.menu_version  # noqa: E731
        else:
            doomed = str(uuidlib.uuid4())
            invalid.add(doomed)
            central.invalid_uuids.add(doomed)

            def trigger(doomed: str = doomed) -> None:
                till.acked.append(doomed)
                status, _ = http_json(f"{hub.base}/api/orders", "POST",
                                      make_order("DOOMED", uuid=doomed))
                assert status == 201

            recovered = lambda d=doomed: ("outbox", d) in central.dead_letters  # noqa: E731
        phase(hub, central, endpoint, fault, trigger, recovered)
    till.sell()
    assert_exactly_once_at_central(central, till.acked, frozenset(invalid))
    assert restarts(hub) == 0, ("a loop died instead of riding out the fault", restarted_tasks(hub))
    if endpoint == "dead-letters":
        assert {k for s, k in central.dead_letters if s == "outbox"} == invalid
        _, text = http_json(f"{hub.ops}/metrics")
        assert 'outlet_hub_dead_letters_total{code="invalid",source="outbox"} 4.0' in str(text)


@pytest.mark.parametrize("endpoint", ["online-orders", "ws"])
def test_online_orders_arrive_once_whatever_the_channel_or_catch_up_does(
        endpoint: str, central: FakeCentral, hub_factory: Callable[..., Hub]) -> None:
    """Catch-up (`GET /api/orders/`) or the channel itself failing four ways: every order paid
    for online reaches the hub exactly once when central behaves, none is skipped."""
    hub = start_hub(hub_factory, central)
    online: list[str] = []
    for fault in FAULTS:
        order = make_order(f"WEB-{len(online) + 1}", uuid=str(uuidlib.uuid4()), source="online")
        online.append(order["uuid"])
        central.set_fault(endpoint, fault)
        central.add_online_order(order)
        words = ([FAULT_WORDS[fault], ENDPOINT_WORDS[endpoint]] if endpoint != "ws"
                 else ["online orders", WS_FAULT_WORDS[fault]])
        if endpoint != "ws" and fault == "schema":
            words = [SCHEMA_WORDS[endpoint]]
        eventually(lambda w=words: reason_with(hub, *w), f"{endpoint}/{fault} named on /health")
        central.set_fault(endpoint, "ok")
        eventually(lambda u=order["uuid"]: http_json(f"{hub.base}/api/orders/{u}")[0] == 200,
                   f"{endpoint}/{fault}: the online order reaches the hub")
        healthy_again(hub, f"{endpoint}/{fault}: /health ok")
    _, rows = http_json(f"{hub.base}/api/orders?since_id=0&limit=1000")
    taken = [r["uuid"] for r in rows]           # this hub sold nothing itself
    assert sorted(taken) == sorted(online), "each online order exactly once"
    assert restarts(hub) == 0, restarted_tasks(hub)


def test_central_dropping_the_connection_mid_batch_loses_and_duplicates_nothing(
        central: FakeCentral, hub_factory: Callable[..., Hub]) -> None:
    """Central stores half a batch and dies before answering, again and again: the hub resends
    (central answers `duplicate` for the stored half) and every order lands exactly once."""
    hub = start_hub(hub_factory, central)
    till = Till(hub)
    till.sell()
    eventually(lambda: set(till.acked) <= set(central.orders), "registered and syncing")
    before = central.calls["orders"]
    central.midbatch = True
    for _ in range(250):
        till.sell()
    # The hub backs off 1, 2, 4 s between tries: three cut-off batches take about 7 s.
    eventually(lambda: central.calls["orders"] >= before + 3, "batches cut off mid-way")
    eventually(lambda: reason_with(hub, "/api/hubs/orders"), "/health names the failing call")
    central.midbatch = False
    assert_exactly_once_at_central(central, till.acked)
    eventually(lambda: health(hub)["outbox_pending"] == 0, "outbox drained")
    assert restarts(hub) == 0, restarted_tasks(hub)


def test_a_batch_central_refuses_as_too_large_is_split_and_only_the_one_order_is_set_aside(
        central: FakeCentral, hub_factory: Callable[..., Hub]) -> None:
    """Issue 13: one order central refuses with 413 used to stop every order after it for
    ever. The hub halves the batch until it finds that order, dead-letters it (reported to
    central with the reason), delivers the other 59 in order, and says so on /health meanwhile."""
    hub = start_hub(hub_factory, central)
    till = Till(hub)
    till.sell()
    eventually(lambda: set(till.acked) <= set(central.orders), "registered and syncing")
    central.set_fault("orders", "500")
    for i in range(60):
        till.sell(customer_name="TOO-BIG" if i == 41 else "Ayu")
    huge = till.acked[42]
    central.too_large_marker = "TOO-BIG"
    central.orders_delay = 0.3           # slow enough to see the split on /health
    central.set_fault("orders", "ok")
    eventually(lambda: reason_with(hub, "HTTP 413", "splitting"), "/health names the split")
    assert_exactly_once_at_central(central, till.acked, frozenset({huge}))
    letter = eventually(lambda: central.dead_letters.get(("outbox", huge)), "reported to central")
    assert letter["code"] == "http_413" and "413" in letter["reason"]
    healthy_again(hub, "/health ok once the batch is through")
    assert restarts(hub) == 0, restarted_tasks(hub)


def test_real_central_killed_mid_drain_gets_every_order_exactly_once(
        tmp_path: Path, procs: list[Process], hub_factory: Callable[..., Hub]) -> None:
    """The real central (SQLite) is SIGKILLed while the hub drains a 1000-order backlog —
    between or inside batches — and started again: every acked order is at central exactly
    once, and the hub's outbox drains by itself."""
    proc, hq, outlet_id, hub = hub_enrolled_at_new_central(
        tmp_path, procs, hub_factory, "Fault Mall",
        HUB_HEARTBEAT_SECONDS="1", HUB_CENTRAL_TIMEOUT_SECONDS="2")
    eventually(lambda: health(hub)["central"] == "ok", "enrolled")
    proc.kill()
    acked = []
    for i in range(1000):
        order = make_order(f"K-{i}", outlet_id=outlet_id)
        assert http_json(f"{hub.base}/api/orders", "POST", order)[0] == 201
        acked.append(order["uuid"])
    proc.start()

    def at_central() -> int:
        status, body = hq.call("GET", f"/api/orders/?outlet_id={outlet_id}&since_id=0"
                               "&limit=1000", token=hq.admin)
        return len(body["orders"]) if status == 200 else 0

    seen = eventually(at_central, "draining started", timeout=60)
    proc.kill()                                   # mid-drain: batches of 100 arrive
    assert seen < 1000, "central had everything before the kill: nothing was cut"
    proc.start()
    eventually(lambda: health(hub)["outbox_pending"] == 0, "drained after the restart",
               timeout=90)
    rows: list[dict[str, Any]] = []
    while True:
        since = rows[-1]["id"] if rows else 0
        status, body = hq.call("GET", f"/api/orders/?outlet_id={outlet_id}&since_id={since}"
                               "&limit=1000", token=hq.admin)
        assert status == 200, body
        rows += body["orders"]
        if len(body["orders"]) < 1000:
            break
    uuids = [r["uuid"] for r in rows]
    assert len(uuids) == len(set(uuids)), "an order twice at central"
    assert set(uuids) == set(acked), "an acked order missing at central (or one never acked)"
    assert restarts(hub) == 0, restarted_tasks(hub)


def test_an_online_order_the_hub_refuses_is_set_aside_and_the_next_one_still_arrives(
        central: FakeCentral, hub_factory: Callable[..., Hub]) -> None:
    """Before issue 13 a refused online order was logged and skipped. Now it becomes a dead
    letter (source `online`, with the hub's reason), reported to central, counted — and the
    catch-up position moves on, so the order after it reaches the kitchen."""
    hub = start_hub(hub_factory, central)
    broken = make_order("WEB-BAD", uuid=str(uuidlib.uuid4()), source="online", items=[])
    good = make_order("WEB-OK", uuid=str(uuidlib.uuid4()), source="online")
    central.add_online_order(broken)
    central.add_online_order(good)
    eventually(lambda: http_json(f"{hub.base}/api/orders/{good['uuid']}")[0] == 200,
               "the order after the refused one arrives")
    letter = eventually(lambda: central.dead_letters.get(("online", broken["uuid"])),
                        "the refused online order reported to central")
    assert letter["code"] == "validation_failed" and "items" in letter["reason"]
    assert http_json(f"{hub.base}/api/orders/{broken['uuid']}")[0] == 404
    _, text = http_json(f"{hub.ops}/metrics")
    assert 'outlet_hub_dead_letters_total{code="validation_failed",source="online"} 1.0' in str(text)
    assert restarts(hub) == 0, restarted_tasks(hub)

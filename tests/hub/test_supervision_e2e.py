"""A background loop of a real hub raising over and over: restarted, counted, named — not silent."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator

import pytest

from tests.support.fake_central import FakeCentral
from tests.support.faults import Till, eventually, health, reason_with
from tests.support.processes import Hub, http_json


@pytest.fixture
def central() -> Iterator[FakeCentral]:
    fake = FakeCentral()
    fake.start()
    yield fake
    fake.stop()


def test_a_loop_that_keeps_raising_is_restarted_counted_and_named_while_orders_flow(
        central: FakeCentral, hub_factory: Callable[..., Hub]) -> None:
    """Before issue 13 an exception ended a hub loop for good while /health said ok. Here the
    outbox backlog observer meets a change-feed row it cannot parse (written by another
    process): each failure is logged with its traceback, counted in
    outlet_hub_task_restarts_total{task="backlog"}, and /health and /api/status say
    `backlog restarting` — and orders are still taken and forwarded meanwhile."""
    hub = hub_factory(env={"HUB_CENTRAL_URL": central.url, "HUB_ENROLLMENT_TOKEN": "fake",
                           "HUB_HEARTBEAT_SECONDS": "0.5", "HUB_CENTRAL_TIMEOUT_SECONDS": "1"})
    till = Till(hub)
    till.sell()
    eventually(lambda: set(till.acked) <= set(central.orders), "syncing")
    central.set_fault("orders", "500")           # keep the broken row pending for the sink
    db = sqlite3.connect(hub.data_dir / "hub.sqlite3", timeout=10)
    db.execute("INSERT INTO events(rev, order_id, kind, status, at) "
               "VALUES (1000000, 999999, 'status', 'ready', 'not-a-time')")
    db.commit()
    db.close()

    reason = eventually(lambda: reason_with(hub, "backlog restarting", "ValueError"),
                        "/health names the restarting loop")
    assert "restarts" in reason
    _, status = http_json(f"{hub.base}/api/status")
    assert any("backlog restarting" in r for r in status["reasons"])
    assert {t["name"]: t["state"] for t in status["tasks"]}["backlog"] == "restarting"

    def counted() -> int:
        _, text = http_json(f"{hub.ops}/metrics")
        found = re.search(r'^outlet_hub_task_restarts_total\{task="backlog"\} (\S+)', str(text),
                          re.M)
        return int(float(found.group(1))) if found else 0

    eventually(lambda: counted() >= 2, "each restart counted")
    assert "Traceback" in hub.log() and "task backlog failed" in hub.log()
    central.set_fault("orders", "ok")
    till.sell()
    eventually(lambda: set(till.acked) <= set(central.orders), "orders still flow meanwhile")
    assert health(hub)["status"] == "degraded"

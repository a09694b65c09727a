"""Scale past one central process: an online order posted to one reaches a hub subscribed to the other."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.central.conftest import CentralUnderTest, PgDatabase, make_database_url, start_central
from tests.integration.conftest import eventually, hub_health
from tests.support.processes import Central, Hub, Process, http_json
from tests.support.wsclient import WsClient


@pytest.fixture
def two_centrals(tmp_path: Path, procs: list[Process]) -> Iterator[tuple[CentralUnderTest, Central]]:
    cleanup: list[PgDatabase] = []
    url = make_database_url("postgresql", tmp_path, cleanup)
    try:
        first = start_central(tmp_path / "c1", url)
        procs.append(first)
        second = start_central(tmp_path / "c2", url)
        procs.append(second)
        yield CentralUnderTest(first, first.admin_token(), "postgresql"), second
        first.kill()
        second.kill()
    finally:
        for db in cleanup:
            db.drop()


async def test_order_group_posted_to_one_central_reaches_hub_subscribed_to_the_other(
        two_centrals: tuple[CentralUnderTest, Central], hub_factory: Callable[..., Hub]) -> None:
    hq, other = two_centrals
    outlet_id = hq.new_outlet("Yogya Semarang")
    tenant = hq.as_admin("POST", "/api/tenants/", {"outlet_id": outlet_id, "name": "Soto Lamongan"})
    product = hq.as_admin("POST", "/api/products/", {"tenant_id": tenant["id"], "name": "Soto Ayam",
                                                     "price": "22000"})
    hub = hub_factory(outlet_id=outlet_id, env={
        "HUB_CENTRAL_URL": hq.base, "HUB_ENROLLMENT_TOKEN": hq.enrollment_token(outlet_id),
        "HUB_HEARTBEAT_SECONDS": "1"})
    await asyncio.to_thread(eventually, lambda: hub_health(hub)["central"] == "ok")
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen")
    await kitchen.wait_for(lambda m: m["type"] == "connected")
    await asyncio.sleep(1.5)                                   # hub joins its outlet channel on hq
    status, body = http_json(f"{other.base}/api/public/order-groups/", "POST", {
        "outlet_id": outlet_id, "uuids": {str(tenant["id"]): "via-other-central"},
        "items": [{"product_id": product["id"], "qty": 1}]})
    assert status in (200, 201), body
    shown = await kitchen.wait_for(lambda m: m["type"] == "new_order", timeout=20)
    assert shown["payload"]["uuid"] == "via-other-central"
    assert shown["payload"]["total_amount"] == "22000"
    await kitchen.close()

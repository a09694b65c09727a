"""A printer added in central's admin API reaches the outlet's hub with the menu and prints;
deleting it stops that printer, while hub.toml's printer keeps printing (issue 18)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from tests.central.conftest import CentralUnderTest
from tests.hub.test_printers import submit
from tests.integration.conftest import eventually
from tests.support.fake_printer import FakePrinter
from tests.support.processes import Hub, http_json
from tests.support.wsclient import make_order


@pytest.fixture
def printers() -> Iterator[list[FakePrinter]]:
    made = [FakePrinter(), FakePrinter()]
    yield made
    for p in made:
        p.close()


def names(hub: Hub) -> list[str]:
    return [p["name"] for p in http_json(f"{hub.base}/api/printers")[1]["printers"]]


def test_central_printer_syncs_to_the_hub_and_prints(
        hq: CentralUnderTest, enrolled_hub: Callable[..., tuple[Hub, int]],
        printers: list[FakePrinter]) -> None:
    local, remote = printers
    hub, outlet = enrolled_hub(HUB_PRINTERS=json.dumps([{"name": "pass", "url": local.url}]))
    created = hq.as_admin("POST", "/api/printers/", {
        "outlet_id": outlet, "name": "grill", "url": remote.url, "tenants": [7]})
    # Another outlet's printer never reaches this hub.
    hq.as_admin("POST", "/api/printers/", {"outlet_id": hq.new_outlet("Elsewhere"),
                                           "name": "bar", "url": remote.url})
    eventually(lambda: names(hub) == ["pass", "grill"], timeout=60)

    order = make_order("C-1", 7, outlet_id=outlet)
    submit(hub, order)
    texts = remote.wait_for(lambda t: len(t) == 1, 30, "the central printer's ticket")
    assert "^^No. C-1" in texts[0]
    local.wait_for(lambda t: len(t) == 1, 30, "hub.toml's printer's ticket")

    hq.as_admin("DELETE", f"/api/printers/{created['id']}/")
    eventually(lambda: names(hub) == ["pass"], timeout=60)
    submit(hub, make_order("C-2", 7, outlet_id=outlet))
    local.wait_for(lambda t: len(t) == 2, 30, "the next ticket on hub.toml's printer")
    assert len(remote.texts()) == 1, "a deleted printer kept printing"
    _, metrics = http_json(f"{hub.ops}/metrics")
    assert 'outlet_hub_printer_up{printer="pass"}' in metrics
    assert 'printer="grill"' not in metrics.split("outlet_hub_printer_tickets")[0]

"""mDNS discovery of the hub (`_kitchen-sync._tcp.local.`), only ever inside network namespaces.

Two namespaces joined by a veth pair stand in for the outlet LAN: the hub runs in one
(`ip netns exec`), a python-zeroconf browser in the other. Nothing here sends multicast
on the machine's real interfaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hub import __version__
from tests.support.netns import CLIENT_SCRIPT, WAIT_HTTP_SCRIPT, Link, NetnsLab
from tests.support.processes import Hub
from tests.support.wsclient import make_order

SERVICE = "_kitchen-sync._tcp.local."

# Browses for the service inside a namespace. Stops `linger` seconds after a service whose
# TXT hub_id is `want` was resolved, or after `seconds`; prints every resolved service.
BROWSE_SCRIPT = r'''
import asyncio, json, sys
from zeroconf import IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

SERVICE = "_kitchen-sync._tcp.local."
args = json.loads(sys.argv[1])

async def main():
    loop = asyncio.get_running_loop()
    azc = AsyncZeroconf(ip_version=IPVersion.V4Only)
    names = []
    def on_change(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Added and name not in names:
            names.append(name)
    browser = AsyncServiceBrowser(azc.zeroconf, [SERVICE], handlers=[on_change])
    found, resolved = [], set()
    deadline = loop.time() + args["seconds"]
    stop_at = None
    while loop.time() < deadline and (stop_at is None or loop.time() < stop_at):
        await asyncio.sleep(0.2)
        for name in [n for n in names if n not in resolved]:
            info = AsyncServiceInfo(SERVICE, name)
            if not await info.async_request(azc.zeroconf, 3000):
                continue
            resolved.add(name)
            props = {k.decode(): (v.decode() if v is not None else None)
                     for k, v in info.properties.items()}
            found.append({"name": name, "port": info.port, "server": info.server,
                          "addresses": info.parsed_addresses(), "properties": props})
            if args.get("want") and props.get("hub_id") == args["want"] and stop_at is None:
                stop_at = loop.time() + args.get("linger", 0)
    await browser.async_cancel()
    await azc.async_close()
    return {"names": names, "found": found}

print(json.dumps(asyncio.run(main())))
'''


@pytest.fixture
def lab() -> Iterator[NetnsLab]:
    netns = NetnsLab()
    try:
        yield netns
    finally:
        netns.cleanup()


@pytest.fixture
def lan(lab: NetnsLab) -> tuple[str, str, Link, Link]:
    """Two namespaces on one multicast-capable link: (hub ns, browser ns, hub end, browser end)."""
    hub_ns, browser_ns = lab.namespace("mdns-hub"), lab.namespace("mdns-browser")
    hub_end, browser_end = lab.veth(hub_ns, browser_ns)
    lab.route(hub_ns, "224.0.0.0/4", dev=hub_end.name)
    lab.route(browser_ns, "224.0.0.0/4", dev=browser_end.name)
    return hub_ns, browser_ns, hub_end, browser_end


def launch_in(lab: NetnsLab, ns: str, hub_factory: Callable[..., Hub], *, name: str,
              outlet_id: int, zeroconf: str) -> Hub:
    """A hub listening on all of `ns`'s addresses (started, not yet waited for)."""
    hub = hub_factory(start=False, name=name, outlet_id=outlet_id,
                      env={"HUB_ZEROCONF": zeroconf, "HUB_BIND": "0.0.0.0"})
    lab.adopt(hub, ns)
    hub.start(wait=False)
    return hub


def wait_ready(lab: NetnsLab, ns: str, hub: Hub) -> None:
    ready = lab.python(ns, WAIT_HTTP_SCRIPT, {"url": f"{hub.ops}/health", "timeout": 30})
    assert ready["status"] == 200, (ready, hub.log())


def start_in(lab: NetnsLab, ns: str, hub_factory: Callable[..., Hub], *, name: str,
             outlet_id: int, zeroconf: str) -> Hub:
    """A hub listening on all of `ns`'s addresses, up and answering /health inside `ns`."""
    hub = launch_in(lab, ns, hub_factory, name=name, outlet_id=outlet_id, zeroconf=zeroconf)
    wait_ready(lab, ns, hub)
    return hub


def browse(lab: NetnsLab, ns: str, *, seconds: float, want: str | None = None,
           linger: float = 0.0) -> dict[str, Any]:
    return lab.python(ns, BROWSE_SCRIPT, {"seconds": seconds, "want": want, "linger": linger},
                      timeout=seconds + 30)


def test_hub_is_discovered_over_mdns_with_its_ids_version_path_and_port(
        lab: NetnsLab, lan: tuple[str, str, Link, Link], hub_factory: Callable[..., Hub]) -> None:
    hub_ns, browser_ns, hub_end, _ = lan
    hub = start_in(lab, hub_ns, hub_factory, name="hub-mdns", outlet_id=3, zeroconf="on")

    seen = browse(lab, browser_ns, seconds=20, want="hub-mdns-test")
    matches = [s for s in seen["found"] if s["properties"].get("hub_id") == "hub-mdns-test"]
    assert len(matches) == 1, (seen, hub.log())
    service = matches[0]
    assert service["name"].endswith("." + SERVICE)
    assert "3" in service["name"].removesuffix("." + SERVICE)      # the outlet is in the name
    assert service["port"] == hub.ws_port
    assert hub_end.address in service["addresses"]
    props = service["properties"]
    assert props["outlet_id"] == "3"
    assert props["version"] == __version__
    assert props["path"] == "/ws"

    # What was advertised is enough to reach the hub: ws://<address>:<port><path>.
    url = f"ws://{hub_end.address}:{service['port']}{props['path']}"
    replies = lab.python(browser_ns, CLIENT_SCRIPT, [
        {"op": "ws", "url": url, "send": [{"type": "new_order", "id": "z1",
                                           "payload": make_order("Z-1", outlet_id=3)}]}])
    assert replies[0]["status"] == 101, replies
    assert replies[0]["replies"][0]["type"] == "ack", replies


def test_zeroconf_off_advertises_nothing(lab: NetnsLab, lan: tuple[str, str, Link, Link],
                                         hub_factory: Callable[..., Hub]) -> None:
    hub_ns, browser_ns, _, _ = lan
    silent = launch_in(lab, hub_ns, hub_factory, name="hub-quiet", outlet_id=1, zeroconf="off")
    # A control on the same link: the browser does find a hub that advertises, so finding
    # nothing of the quiet one means it said nothing, not that mDNS is broken here.
    loud = launch_in(lab, hub_ns, hub_factory, name="hub-loud", outlet_id=2, zeroconf="on")
    wait_ready(lab, hub_ns, silent)
    wait_ready(lab, hub_ns, loud)

    seen = browse(lab, browser_ns, seconds=20, want="hub-loud-test", linger=3)
    hub_ids = [s["properties"].get("hub_id") for s in seen["found"]]
    assert hub_ids == ["hub-loud-test"], (seen, silent.log(), loud.log())
    assert len(seen["names"]) == 1, seen


@pytest.mark.parametrize("topology", ["loopback_only", "link_without_multicast_route"])
def test_hub_keeps_serving_orders_without_a_multicast_route(
        lab: NetnsLab, hub_factory: Callable[..., Hub], topology: str) -> None:
    hub_ns = lab.namespace("nomcast")
    client_ns, host = hub_ns, "127.0.0.1"
    if topology == "link_without_multicast_route":
        client_ns = lab.namespace("nomcast-peer")
        hub_end, _ = lab.veth(hub_ns, client_ns, multicast=False)
        host = hub_end.address
    routes = NetnsLab.routes(hub_ns)
    assert "224." not in routes and "default" not in routes, routes

    hub = start_in(lab, hub_ns, hub_factory, name="hub-nomcast", outlet_id=1, zeroconf="on")
    results = lab.python(client_ns, CLIENT_SCRIPT, [
        {"op": "http", "method": "POST", "url": f"http://{host}:{hub.ws_port}/api/orders",
         "body": make_order("NM-1")},
        {"op": "ws", "url": f"ws://{host}:{hub.ws_port}/ws",
         "send": [{"type": "new_order", "id": "n2", "payload": make_order("NM-2")}]},
        {"op": "http", "url": f"http://{host}:{hub.ws_port}/api/orders?since_rev=0"},
        {"op": "http", "url": f"http://{host}:{hub.http_port}/health"},
    ])
    assert results[0]["status"] == 201, (results, hub.log())
    assert results[1]["replies"][0]["type"] == "ack", results
    assert [o["order_number"] for o in results[2]["body"]] == ["NM-1", "NM-2"]
    assert results[3]["status"] == 200 and results[3]["body"]["db"] == "ok", results
    assert hub.alive, hub.log()

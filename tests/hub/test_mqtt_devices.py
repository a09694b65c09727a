"""Devices on the outlet bus (issue 18 item 2): bump over MQTT, the ACL that allows it, pagers.

The broker is real Mosquitto with the production shape: an anonymous loopback listener for
the hub and an authenticated listener whose ACL is rendered from the mosquitto role's own
template (provisioning/roles/mosquitto/templates/outlet-hub.acl.j2).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.mqtt import MqttProbe
from tests.support.processes import ROOT as REPO
from tests.support.processes import Hub, Mosquitto, Process, free_port, http_json, wait_for_port
from tests.support.wsclient import WsClient, make_order

ROOT = "kitchen-sync/1/"
ROLE = REPO / "provisioning" / "roles" / "mosquitto"
DEVICES = [{"name": "bumpbar-grill", "password": "bump-secret", "can_bump": True},
           {"name": "pager-ctl", "password": "pager-secret"}]


def render_acl(devices: list[dict[str, Any]], bump_names: tuple[str, ...] = ()) -> str:
    """The role's ACL template, rendered the way Ansible would for outlet 1."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROLE / "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["comment"] = lambda text: "#\n# " + str(text) + "\n#"
    env.filters["bool"] = lambda value: str(value).lower() in ("true", "1", "yes", "on")
    return env.get_template("outlet-hub.acl.j2").render(
        ansible_managed="Ansible managed (test)", mosquitto_outlet_id=1,
        mosquitto_topic_root="kitchen-sync/1", mosquitto_devices=devices,
        mosquitto_bump_devices=bump_names)


@pytest.fixture
def device_broker(tmp_path: Path, procs: list[Process]) -> Iterator[tuple[Mosquitto, int]]:
    """Mosquitto like the role configures it: (broker, port of the device listener)."""
    work = tmp_path / "mqtt"
    work.mkdir()
    passwd = work / "outlet-hub.passwd"
    for i, device in enumerate(DEVICES):
        subprocess.run(["mosquitto_passwd", *(["-c"] if i == 0 else []), "-b", str(passwd),
                        device["name"], device["password"]], check=True, capture_output=True)
    passwd.chmod(0o600)
    acl = work / "outlet-hub.acl"
    acl.write_text(render_acl(DEVICES))
    lan = free_port()
    # `user root`: the files in pytest's 0700 directory stay readable (no drop to mosquitto).
    broker = Mosquitto(work, head_conf="per_listener_settings true\nuser root\n", extra_conf=(
        f"listener {lan} 127.0.0.1\nallow_anonymous false\npassword_file {passwd}\n"
        f"acl_file {acl}\n"))
    broker.start()
    procs.append(broker)
    wait_for_port(lan)
    yield broker, lan


class Device:
    """An MQTT v5 device logged in with its account: v5 PUBACKs carry the broker's verdict."""

    def __init__(self, port: int, name: str, password: str, topics: list[str]) -> None:
        self.messages: list[tuple[str, Any, bool]] = []
        self.verdicts: dict[int, int] = {}
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name,
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(name, password)
        self.client.on_connect = lambda c, *_: ([c.subscribe(t, qos=1) for t in topics],
                                                self.ready.set())
        self.client.on_message = self._message
        self.client.on_publish = self._published
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        assert self.ready.wait(10), f"{name} could not log in"

    def _message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((msg.topic, json.loads(msg.payload), bool(msg.retain)))

    def _published(self, _c: Any, _u: Any, mid: int, reason: Any, _p: Any) -> None:
        with self.lock:
            self.verdicts[mid] = int(getattr(reason, "value", reason))

    def publish(self, topic: str, payload: Any) -> int:
        """Publish at QoS 1; returns the PUBACK reason code (0 accepted, 135 not authorized)."""
        info = self.client.publish(topic, json.dumps(payload), qos=1)
        info.wait_for_publish(5)
        with self.lock:
            return self.verdicts.get(info.mid, -1)

    def on(self, topic: str) -> list[Any]:
        with self.lock:
            return [p for t, p, _r in self.messages if t == topic]

    def wait_for(self, topic: str, pred: Callable[[Any], bool], timeout: float = 15) -> Any:
        pause = threading.Event()
        for _ in range(int(timeout * 20)):
            for p in self.on(topic):
                if pred(p):
                    return p
            pause.wait(0.05)
        raise TimeoutError(f"nothing matching on {topic}: {self.on(topic)[-3:]}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_acl_template_gives_update_only_to_devices_that_can_bump() -> None:
    acl = render_acl(DEVICES)
    assert "user bumpbar-grill\ntopic write kitchen-sync/1/orders/update" in acl
    assert "user pager-ctl" not in acl
    assert "pattern read kitchen-sync/1/tenants/+/ready" in acl
    by_name = render_acl([{"name": "pager-ctl", "password": "x"}], bump_names=("pager-ctl",))
    assert "user pager-ctl\ntopic write kitchen-sync/1/orders/update" in by_name


async def test_device_bumps_order_kitchens_and_board_see_it_pager_hears_ready_once(
        device_broker: tuple[Mosquitto, int], hub_factory: Callable[..., Hub]) -> None:
    broker, lan = device_broker
    hub = hub_factory(env={"HUB_MQTT_URL": broker.url})
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", tenant_id=3)
    board = await WsClient.connect(hub.ws_url, client_type="board")
    bumper = await asyncio.to_thread(Device, lan, "bumpbar-grill", "bump-secret",
                                     [ROOT + "orders/ack/bumpbar-grill"])
    pager = await asyncio.to_thread(Device, lan, "pager-ctl", "pager-secret",
                                    [ROOT + "tenants/+/ready", ROOT + "orders/ack/pager-ctl"])
    try:
        order = make_order("P-41", 3)
        status, _ = http_json(f"{hub.base}/api/orders", "POST", order)
        assert status == 201
        await kitchen.wait_for(lambda m: m["type"] == "new_order")

        # A device without can_bump is refused by the broker itself: the hub never hears it.
        verdict = await asyncio.to_thread(pager.publish, ROOT + "orders/update", {
            "client_id": "pager-ctl", "id": "x1", "update": {"uuid": order["uuid"],
                                                              "status": "ready"}})
        assert verdict == 135, "the broker let a device without can_bump publish a bump"

        for step, wanted in (("b1", "preparing"), ("b2", "ready")):
            verdict = await asyncio.to_thread(bumper.publish, ROOT + "orders/update", {
                "client_id": "bumpbar-grill", "id": step,
                "update": {"uuid": order["uuid"], "status": wanted}})
            assert verdict == 0
            ack = await asyncio.to_thread(bumper.wait_for, ROOT + "orders/ack/bumpbar-grill",
                                          lambda p, s=step: p.get("ref") == s)
            assert ack["type"] == "ack" and ack["payload"]["status"] == wanted
            assert ack["payload"]["unchanged"] is False
        for screen in (kitchen, board):
            seen = await screen.wait_for(lambda m: m["type"] == "order_status_update"
                                         and m["payload"]["status"] == "ready")
            assert seen["payload"]["uuid"] == order["uuid"]
            assert seen["payload"]["by"] == "mqtt:bumpbar-grill"

        # Same bump again (the broker may deliver twice): answered, not applied twice.
        await asyncio.to_thread(bumper.publish, ROOT + "orders/update", {
            "client_id": "bumpbar-grill", "id": "b3",
            "update": {"uuid": order["uuid"], "status": "ready"}})
        again = await asyncio.to_thread(bumper.wait_for, ROOT + "orders/ack/bumpbar-grill",
                                        lambda p: p.get("ref") == "b3")
        assert again["payload"]["unchanged"] is True
        bad = await asyncio.to_thread(bumper.publish, ROOT + "orders/update", {
            "client_id": "bumpbar-grill", "id": "b4", "update": {"uuid": "nope", "status": "ready"}})
        assert bad == 0
        err = await asyncio.to_thread(bumper.wait_for, ROOT + "orders/ack/bumpbar-grill",
                                      lambda p: p.get("ref") == "b4")
        assert err["type"] == "error" and err["payload"]["code"] == "not_found"

        event = await asyncio.to_thread(pager.wait_for, ROOT + "tenants/3/ready",
                                        lambda p: p["uuid"] == order["uuid"])
        assert event["order_number"] == "P-41" and event["tenant_id"] == 3
        await asyncio.sleep(1.5)          # a second event (the repeated bump) would be here by now
        assert len(pager.on(ROOT + "tenants/3/ready")) == 1
        assert pager.on(ROOT + "orders/ack/pager-ctl") == []
        _, stored = http_json(f"{hub.base}/api/orders/{order['uuid']}")
        assert stored["status"] == "ready"

        # A number display connecting later gets the retained "now serving" number.
        display = await asyncio.to_thread(MqttProbe, broker.port, "numbers-1",
                                          [ROOT + "tenants/3/now_serving"])
        try:
            shown = await asyncio.to_thread(display.wait_for, ROOT + "tenants/3/now_serving")
            assert shown["order_number"] == "P-41"
            assert display.messages[0][2] is True, "now_serving must be retained"
        finally:
            display.close()
    finally:
        bumper.close()
        pager.close()
        await kitchen.close()
        await board.close()

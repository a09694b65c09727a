"""Kitchen printers (issue 18): a real hub prints to fake network printers on 127.0.0.1.

The fake printer answers ESC/POS DLE EOT status queries and can say it is offline, so
the hub's own rules decide what prints where: its stall only, a backup after the wait,
nothing from an old outage without a person deciding.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.fake_printer import FakePrinter, ticket_text
from tests.support.processes import Hub, http_json
from tests.support.wsclient import make_order

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


@pytest.fixture
def printers() -> Iterator[Callable[[], FakePrinter]]:
    made: list[FakePrinter] = []

    def make() -> FakePrinter:
        made.append(FakePrinter())
        return made[-1]

    yield make
    for p in made:
        p.close()


def printer_env(*tables: dict[str, Any], **extra: str) -> dict[str, str]:
    return {"HUB_PRINTERS": json.dumps(list(tables)), **extra}


def submit(hub: Hub, order: dict[str, Any]) -> dict[str, Any]:
    status, body = http_json(f"{hub.base}/api/orders", "POST", order)
    assert status == 201, body
    return body


def printer_state(hub: Hub, name: str) -> dict[str, Any]:
    status, body = http_json(f"{hub.base}/api/printers")
    assert status == 200, body
    return next(p for p in body["printers"] if p["name"] == name)


def wait_state(hub: Hub, name: str, state: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = printer_state(hub, name)
        if found["state"] == state:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"printer {name} never {state}: {printer_state(hub, name)}")


def wait_queue_empty(hub: Hub, name: str, timeout: float = 30.0) -> None:
    """The hub moves past a ticket just after the printer took it: wait for that, then see
    the queue stay empty. /api/printers counts it when asked (it once read a 2-s-old
    snapshot: 0 from before the order, then 1, and a CI run failed on it)."""
    deadline = time.monotonic() + timeout
    while printer_state(hub, name)["queue"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [printer_state(hub, name)["queue"] for _ in range(3)] == [0, 0, 0]


def test_kitchen_ticket_reaches_its_stall_printer_only_readable(
        hub_factory: Callable[..., Hub], printers: Callable[[], FakePrinter]) -> None:
    grill, drinks = printers(), printers()
    hub = hub_factory(env=printer_env(
        {"name": "grill", "url": grill.url, "tenants": [1], "width_mm": 80},
        {"name": "drinks", "url": drinks.url, "tenants": [2], "width_mm": 58}))
    other = make_order("B-7", 2, items=[{"name": "Es Teh", "qty": 1, "price": "5000"}])
    submit(hub, other)
    order = make_order("A-12", 1, items=[
        {"name": "Nasi Goreng", "qty": 2, "price": "25000",
         "modifiers": ["pedas", "tanpa telur"], "notes": "alergi kacang"},
        {"name": "Sate Ayam", "qty": 1, "price": "30000"}])
    submit(hub, order)

    texts = grill.wait_for(lambda t: len(t) >= 1, 30, "kitchen ticket")
    drinks.wait_for(lambda t: len(t) >= 1, 30, "drinks ticket")
    time.sleep(0.5)
    assert len(grill.texts()) == 1, "the grill printed another stall's order"
    lines = texts[0].splitlines()
    assert "PESANAN BARU" in lines                      # Bahasa Indonesia by default
    assert "^^No. A-12" in lines                        # order number, double height
    assert "^^2x Nasi Goreng" in lines
    assert "^^  + pedas" in lines and "^^  + tanpa telur" in lines
    assert "^^  ! alergi kacang" in lines
    assert "^^1x Sate Ayam" in lines
    assert f"QR:{order['uuid']}" in lines
    assert "Es Teh" not in texts[0]
    drinks_text = drinks.texts()
    assert len(drinks_text) == 1 and "^^No. B-7" in drinks_text[0]
    assert "^^1x Es Teh" in drinks_text[0] and "Nasi Goreng" not in drinks_text[0]
    assert printer_state(hub, "grill")["state"] == "online"


def test_ready_slip_and_reprint_on_request(
        hub_factory: Callable[..., Hub], printers: Callable[[], FakePrinter]) -> None:
    pass_printer = printers()
    hub = hub_factory(env=printer_env(
        {"name": "pass", "url": pass_printer.url, "prints": ["kitchen", "ready", "cancelled"]},
        HUB_LOCALE="en"))
    order = make_order("C-3", 1)
    submit(hub, order)
    pass_printer.wait_for(lambda t: len(t) == 1, 30)
    status, _ = http_json(f"{hub.base}/api/orders/{order['uuid']}", "PATCH", {"status": "ready"})
    assert status == 200
    texts = pass_printer.wait_for(lambda t: len(t) == 2, 30, "ready slip")
    assert "READY FOR PICKUP" in texts[1] and "^^No. C-3" in texts[1]
    status, body = http_json(f"{hub.base}/api/orders/{order['uuid']}/reprint", "POST", {})
    assert status == 202, body
    texts = pass_printer.wait_for(lambda t: len(t) == 3, 30, "reprint")
    assert "REPRINT" in texts[2] and "NEW ORDER" in texts[2]
    status, body = http_json(f"{hub.base}/api/printers/pass/test", "POST", {})
    assert status == 202, body
    texts = pass_printer.wait_for(lambda t: len(t) == 4, 30, "test page")
    assert "PRINTER TEST" in texts[3] and "pass (80 mm)" in texts[3]


def test_second_printer_prints_while_first_is_dead_and_backup_takes_over(
        hub_factory: Callable[..., Hub], printers: Callable[[], FakePrinter]) -> None:
    grill, drinks = printers(), printers()
    grill.mode = "offline"
    hub = hub_factory(env=printer_env(
        {"name": "grill", "url": grill.url, "tenants": [1], "backup": "drinks",
         "backup_after_seconds": 5},
        {"name": "drinks", "url": drinks.url, "tenants": [2]}))
    submit(hub, make_order("G-1", 1))
    submit(hub, make_order("D-1", 2))
    texts = drinks.wait_for(lambda t: len(t) >= 1, 30, "the live printer's ticket")
    assert "^^No. D-1" in texts[0], "the dead grill held up the drinks printer"
    found = wait_state(hub, "grill", "offline")
    assert found["reason"] == "offline"
    started = time.monotonic()
    texts = drinks.wait_for(lambda t: any("G-1" in x for x in t), 60, "backup ticket")
    backup = next(x for x in texts if "G-1" in x)
    assert "BACKUP untuk printer grill" in backup.replace("^^", "")
    assert time.monotonic() - started < 60
    grill.mode = "online"
    wait_state(hub, "grill", "online", timeout=60)
    submit(hub, make_order("G-2", 1))
    texts = grill.wait_for(lambda t: len(t) >= 1, 30, "grill back")
    assert len(texts) == 1 and "^^No. G-2" in texts[0], "a ticket printed twice after backup"


def test_tickets_from_a_long_outage_are_held_not_printed(
        hub_factory: Callable[..., Hub], printers: Callable[[], FakePrinter]) -> None:
    grill = printers()
    grill.mode = "offline"
    env = printer_env({"name": "grill", "url": grill.url})
    hub = hub_factory(env=env)
    orders = [make_order(f"N-{i}", 1) for i in range(3)]
    for order in orders:
        submit(hub, order)
    wait_state(hub, "grill", "offline")
    hub.kill()
    # Two hours later by the hub's clock (libfaketime on the real process), the printer is back.
    hub.env |= {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "+2h", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    grill.mode = "online"
    hub.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, body = http_json(f"{hub.base}/api/printers")
        if len(body["held"]) == 3:
            break
        time.sleep(0.2)
    assert [h["order_number"] for h in body["held"]] == ["N-0", "N-1", "N-2"]
    assert all(h["reason"] in ("too_old", "earlier_business_day") for h in body["held"])
    assert grill.texts() == [], "yesterday's tickets spilled out at opening"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        _, status = http_json(f"{hub.base}/api/status")
        if status["printers"][0]["held"] == 3 and status["printers"][0]["state"] == "online":
            break
        time.sleep(0.2)
    assert status["printers"][0] == {"name": "grill", "state": "online", "reason": None, "held": 3}
    job = body["held"][1]["id"]
    code, answer = http_json(f"{hub.base}/api/printers/held/{job}/print", "POST", {})
    assert code == 202, answer
    texts = grill.wait_for(lambda t: len(t) == 1, 30, "the chosen reprint")
    assert "CETAK ULANG" in texts[0] and "^^No. N-1" in texts[0]
    code, _ = http_json(f"{hub.base}/api/printers/held/{body['held'][0]['id']}/dismiss", "POST", {})
    assert code == 202
    _, after = http_json(f"{hub.base}/api/printers")
    assert [h["order_number"] for h in after["held"]] == ["N-2"]


def test_usb_printer_device_receives_the_ticket(hub_factory: Callable[..., Hub]) -> None:
    """`usb:///dev/…` writes the device; a pseudo-terminal in raw mode stands in for usblp."""
    import os
    import select
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        device = os.ttyname(slave)
        hub = hub_factory(env=printer_env({"name": "sate", "url": f"usb://{device}"}))
        order = make_order("U-5", 1)
        submit(hub, order)
        data = b""
        deadline = time.monotonic() + 30
        while b"\x1dV\x00" not in data and time.monotonic() < deadline:   # GS V: the cut
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                data += os.read(master, 65536)
        text = ticket_text(data)
        assert "^^No. U-5" in text and f"QR:{order['uuid']}" in text
        wait_state(hub, "sate", "online")
        wait_queue_empty(hub, "sate")
    finally:
        os.close(master)
        os.close(slave)


def test_out_of_paper_keeps_the_ticket_and_degrades_health_until_refilled(
        hub_factory: Callable[..., Hub], printers: Callable[[], FakePrinter]) -> None:
    grill = printers()
    grill.mode = "paper_out"
    hub = hub_factory(env=printer_env({"name": "grill", "url": grill.url}))
    submit(hub, make_order("P-1", 1))
    assert wait_state(hub, "grill", "offline")["reason"] == "out of paper"
    _, health = http_json(f"{hub.ops}/health")
    assert health["status"] == "degraded"
    assert "printer grill offline: out of paper" in health["reasons"]
    submit(hub, make_order("P-2", 1))
    # Counted when asked, not from the 2-s metrics snapshot: the second ticket shows at once.
    assert printer_state(hub, "grill")["queue"] == 2
    assert grill.texts() == []
    grill.mode = "online"                                 # paper refilled
    texts = grill.wait_for(lambda t: len(t) == 2, 30, "the tickets after refilling")
    assert "^^No. P-1" in texts[0] and "^^No. P-2" in texts[1]
    wait_state(hub, "grill", "online")
    wait_queue_empty(hub, "grill")
    deadline = time.monotonic() + 10
    while http_json(f"{hub.ops}/health")[1]["status"] != "ok" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert http_json(f"{hub.ops}/health")[1]["status"] == "ok"


def test_printer_endpoints_refuse_what_they_cannot_act_on(
        hub_factory: Callable[..., Hub], printers: Callable[[], FakePrinter]) -> None:
    grill = printers()
    hub = hub_factory(env=printer_env({"name": "grill", "url": grill.url}))
    for path, code, field in (("/api/printers/held/9999999999999999999/print", 400, "job"),
                              ("/api/printers/held/12/print", 404, "job"),
                              ("/api/printers/held/12/burn", 404, "action"),
                              ("/api/printers/nope/test", 404, "name"),
                              ("/api/orders/missing/reprint", 404, "uuid")):
        status, body = http_json(f"{hub.base}{path}", "POST", {})
        assert (status, body["error"]["field"]) == (code, field), (path, body)
    order = make_order("E-1", 1)
    submit(hub, order)
    status, body = http_json(f"{hub.base}/api/orders/{order['uuid']}/reprint", "POST",
                             {"printer": "other"})
    assert status == 404 and body["error"]["field"] == "printer"
    status, body = http_json(f"{hub.base}/api/orders/{order['uuid']}/reprint", "POST",
                             {"kind": "receipt"})
    assert status == 400 and body["error"]["field"] == "kind"


def test_printer_writes_need_the_client_token_like_order_changes(
        hub_factory: Callable[..., Hub], printers: Callable[[], FakePrinter]) -> None:
    grill = printers()
    hub = hub_factory(env=printer_env({"name": "grill", "url": grill.url},
                                      HUB_CLIENT_TOKEN="s3cret-token-for-writes"))
    status, body = http_json(f"{hub.base}/api/printers/grill/test", "POST", {})
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, _ = http_json(f"{hub.base}/api/printers/grill/test", "POST", {},
                          headers={"Authorization": "Bearer s3cret-token-for-writes"})
    assert status == 202
    grill.wait_for(lambda t: len(t) == 1, 30, "the authorised test page")

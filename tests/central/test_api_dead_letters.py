"""Dead letters a hub reports (issue 13): stored once per (hub, source, key), shown to the admin."""

from __future__ import annotations

import re

from tests.central.conftest import CentralUnderTest
from tests.support.processes import http_json


def letter(key: str, **extra: str) -> dict[str, str]:
    return {"source": "outbox", "key": key, "code": "http_413",
            "reason": "central refused it alone with HTTP 413", "at": "2026-12-01T08:00:00Z",
            "order": '{"uuid":"' + key + '","order_number":"A-7"}'} | extra


def test_reported_dead_letters_are_listed_for_the_admin_with_the_reason_once(
        central: CentralUnderTest) -> None:
    outlet_id, token, _ = central.enrolled_hub()
    report = {"dead_letters": [letter("u-1"), letter("u-2", source="online", code="conflict")]}
    status, body = central.call("POST", "/api/hubs/dead-letters", report, token)
    assert status == 200 and body == {"stored": 2, "received": 2}
    status, body = central.call("POST", "/api/hubs/dead-letters", report, token)
    assert status == 200 and body["stored"] == 0, "a resend after a lost answer adds nothing"
    listed = central.as_admin("GET", f"/api/admin/dead-letters?outlet_id={outlet_id}")
    rows = listed["dead_letters"]
    assert [(r["key"], r["source"], r["code"]) for r in rows] == [
        ("u-2", "online", "conflict"), ("u-1", "outbox", "http_413")]
    assert rows[1]["reason"] == "central refused it alone with HTTP 413"
    assert rows[1]["order"].startswith('{"uuid":"u-1"') and rows[1]["outlet_id"] == outlet_id
    _, text = http_json(central.base + "/metrics")
    assert re.search(r"^outlet_central_dead_letters_received_total [1-9]", str(text), re.M)


def test_dead_letter_reports_are_bounded_and_need_a_hub_token(central: CentralUnderTest) -> None:
    _, token, _ = central.enrolled_hub()
    assert central.call("POST", "/api/hubs/dead-letters", {"dead_letters": []})[0] == 401
    too_many = {"dead_letters": [letter(f"k-{i}") for i in range(51)]}
    assert central.call("POST", "/api/hubs/dead-letters", too_many, token)[0] == 413
    for bad in (letter("x", source="kiosk"), letter("x" * 101), letter("x", order="y" * 70000),
                letter("x", reason="")):
        status, body = central.call("POST", "/api/hubs/dead-letters", {"dead_letters": [bad]},
                                    token)
        assert status == 400, body
    assert central.call("GET", "/api/admin/dead-letters")[0] == 401


def test_central_health_lists_its_supervised_tasks(central: CentralUnderTest) -> None:
    status, body = http_json(central.base + "/health")
    assert status == 200 and body["status"] == "ok" and body["reasons"] == []
    assert "central-offline-sweep" in {t["name"] for t in body["tasks"]}

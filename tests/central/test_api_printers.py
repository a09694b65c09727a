"""Kitchen printers at central (issue 18): the hub's own rules check them; they sync per outlet."""

from __future__ import annotations

from tests.central.conftest import CentralUnderTest


def test_admin_adds_edits_and_deletes_a_printer_hubs_sync_it(central: CentralUnderTest) -> None:
    oid, hub_token, _ = central.enrolled_hub()
    other = central.new_outlet("Elsewhere")
    body = {"outlet_id": oid, "name": "grill", "url": "tcp://192.168.1.31:9100",
            "width_mm": 58, "tenants": [3], "backup": "pass"}
    created = central.as_admin("POST", "/api/printers/", body)
    assert created["prints"] == ["kitchen"] and created["hold_after_minutes"] == 30
    central.as_admin("POST", "/api/printers/", {"outlet_id": other, "name": "bar",
                                                "url": "usb:///dev/usb/lp0"})

    status, page = central.call("GET", f"/api/printers/?since_version=0&outlet_id={oid}",
                                token=hub_token)
    assert status == 200 and [p["name"] for p in page["printers"]] == ["grill"]
    version = page["current_version"]

    edited = central.as_admin("PATCH", f"/api/printers/{created['id']}/",
                              {"prints": ["kitchen", "ready"]})
    assert edited["prints"] == ["kitchen", "ready"] and edited["url"] == body["url"]
    status, page = central.call("GET", f"/api/printers/?since_version={version}&outlet_id={oid}")
    assert [p["prints"] for p in page["printers"]] == [["kitchen", "ready"]]

    central.as_admin("DELETE", f"/api/printers/{created['id']}/")
    status, page = central.call("GET", f"/api/printers/?since_version={version}&outlet_id={oid}")
    assert page["printers"] == [] and page["deleted"] == [created["id"]]


def test_printer_the_hub_would_refuse_is_refused_naming_the_field(
        central: CentralUnderTest) -> None:
    oid = central.new_outlet("Refusals")
    for bad, field in (({"url": "http://x"}, "url"), ({"width_mm": 72}, "width_mm"),
                       ({"prints": ["receipt"]}, "prints"), ({"name": "Grill!"}, "name"),
                       ({"colour": "red"}, "colour")):
        body = {"outlet_id": oid, "name": "grill", "url": "tcp://10.0.0.9:9100"} | bad
        status, answer = central.call("POST", "/api/printers/", body, central.admin)
        assert status == 400, (bad, answer)
        assert answer["error"]["field"] == field, answer
    status, answer = central.call("POST", "/api/printers/", {
        "outlet_id": 999999, "name": "grill", "url": "tcp://10.0.0.9:9100"}, central.admin)
    assert status == 400 and answer["error"]["field"] == "outlet_id"
    status, _ = central.call("POST", "/api/printers/", {"outlet_id": oid, "name": "grill",
                                                       "url": "tcp://10.0.0.9:9100"})
    assert status == 401

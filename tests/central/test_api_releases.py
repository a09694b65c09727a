"""Hub releases at central (decision 1101), on SQLite and PostgreSQL: publish, rings, the
heartbeat's target, the update report in /metrics, and the bundle download with Range."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central.core.releases import bucket
from outlet_protocol.bundle import public_key_text
from tests.central.conftest import CentralUnderTest
from tests.support.processes import http_json
from tests.support.releases import stand_in_bundle

KEY = Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def published(central: CentralUnderTest, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Release 3.0.0 published once per module (stand-in wheels: central checks signatures)."""
    path = stand_in_bundle(tmp_path_factory.mktemp("bundle"), KEY, "3.0.0")
    out = central.proc.cli("release", "publish", str(path), "--public-key",
                           public_key_text(KEY.public_key()))
    assert "release 3.0.0 published" in out
    return path.read_bytes()


def beat(central: CentralUnderTest, token: str, hub_id: str, **extra: Any) -> dict[str, Any]:
    status, body = central.call("POST", "/api/hubs/heartbeat",
                                {"hub_id": hub_id, "version": "2.9.0", **extra}, token)
    assert status == 200, body
    return dict(body)


def enrolled(central: CentralUnderTest, hub_id: str) -> tuple[int, str]:
    outlet_id = central.new_outlet()
    status, body = central.register(outlet_id, hub_id)
    assert status == 200, body
    return outlet_id, body["hub_token"]


def test_publishing_again_is_a_no_op_and_another_key_is_refused(
        central: CentralUnderTest, published: bytes, tmp_path: Path) -> None:
    again = tmp_path / "again.bundle"
    again.write_bytes(published)
    assert "already published" in central.proc.cli(
        "release", "publish", str(again), "--public-key", public_key_text(KEY.public_key()))
    other = public_key_text(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(RuntimeError, match="signature does not match"):
        central.proc.cli("release", "publish", str(again), "--public-key", other)
    releases = central.as_admin("GET", "/api/releases")["releases"]
    assert [r["version"] for r in releases] == ["3.0.0"]
    assert releases[0]["size"] == len(published)


def test_rings_decide_which_hubs_hear_the_target(central: CentralUnderTest,
                                                  published: bytes) -> None:
    canary, canary_token = enrolled(central, "hub-ring-canary")
    # Two hubs on either side of a 50 % share (their bucket is a stable hash of hub_id).
    inside = next(f"hub-in-{i}" for i in range(200) if bucket(f"hub-in-{i}") < 50)
    outside = next(f"hub-out-{i}" for i in range(200) if bucket(f"hub-out-{i}") >= 50)
    _, in_token = enrolled(central, inside)
    _, out_token = enrolled(central, outside)

    first = central.as_admin("PUT", "/api/releases/rollout", {
        "version": "3.0.0", "ring": "canary", "canary_outlets": [canary]})["rollout"]
    target = beat(central, canary_token, "hub-ring-canary")["update"]
    assert target["version"] == "3.0.0" and target["generation"] == first["generation"]
    assert target["size"] == len(published) and len(target["sha256"]) == 64
    assert target["force"] is False
    assert "update" not in beat(central, in_token, inside)

    central.as_admin("PUT", "/api/releases/rollout", {
        "version": "3.0.0", "ring": "percent", "canary_outlets": [canary], "percentage": 50,
        "force": True})
    assert beat(central, in_token, inside)["update"]["force"] is True
    assert "update" not in beat(central, out_token, outside)
    assert "update" in beat(central, canary_token, "hub-ring-canary")

    last = central.as_admin("PUT", "/api/releases/rollout",
                            {"version": "3.0.0", "ring": "all"})["rollout"]
    assert last["generation"] == first["generation"] + 2
    assert beat(central, out_token, outside)["update"]["generation"] == last["generation"]
    central.as_admin("DELETE", "/api/releases/rollout")
    assert "update" not in beat(central, out_token, outside)


@pytest.mark.parametrize("body, field", [
    ({"version": "9.9.9", "ring": "all"}, "version"),
    ({"version": "3.0.0", "ring": "everyone"}, "ring"),
    ({"version": "3.0.0", "ring": "canary"}, "canary_outlets"),
    ({"version": "3.0.0", "ring": "percent", "percentage": 101}, "percentage"),
    ({"version": "../x", "ring": "all"}, "version"),
])
def test_bad_rollouts_are_refused_naming_the_field(central: CentralUnderTest, published: bytes,
                                                   body: dict[str, Any], field: str) -> None:
    status, answer = central.call("PUT", "/api/releases/rollout", body, central.admin)
    assert status in (400, 404), answer
    assert answer["error"]["field"] == field


def test_the_hubs_report_is_shown_per_outlet_and_in_metrics(central: CentralUnderTest,
                                                            published: bytes) -> None:
    outlet_id, token = enrolled(central, "hub-reports")
    central.as_admin("PUT", "/api/releases/rollout", {
        "version": "3.0.0", "ring": "canary", "canary_outlets": [outlet_id]})
    beat(central, token, "hub-reports", update={
        "state": "rolled_back", "target": "3.0.0", "generation": 1,
        "last_error": "3.0.0 stopped 3 times before it verified", "previous": "2.9.0"})
    rows = central.as_admin("GET", "/api/releases/outlets")["outlets"]
    row = next(r for r in rows if r["outlet_id"] == outlet_id)
    assert (row["current_version"], row["target_version"], row["state"]) == \
        ("2.9.0", "3.0.0", "rolled_back")
    assert row["last_error"] == "3.0.0 stopped 3 times before it verified"
    _, text = http_json(f"{central.base}/metrics")
    assert f'outlet_central_hub_update_state{{outlet_id="{outlet_id}",state="rolled_back"}} 1.0' \
        in text
    assert f'outlet_central_hub_update_state{{outlet_id="{outlet_id}",state="done"}} 0.0' in text
    assert f'outlet_central_hub_version_info{{outlet_id="{outlet_id}",version="2.9.0"}} 1.0' \
        in text


def test_a_malformed_update_report_is_refused(central: CentralUnderTest) -> None:
    _, token = enrolled(central, "hub-bad-report")
    status, body = central.call("POST", "/api/hubs/heartbeat", {
        "hub_id": "hub-bad-report", "update": {"state": "exploded"}}, token)
    assert status == 400 and body["error"]["field"] == "update.state"


def test_the_bundle_downloads_whole_or_from_a_range(central: CentralUnderTest,
                                                    published: bytes) -> None:
    _, token = enrolled(central, "hub-download")

    def get(range_header: str | None) -> tuple[int, dict[str, str], bytes]:
        headers = {"Authorization": f"Bearer {token}"}
        if range_header:
            headers["Range"] = range_header
        req = urllib.request.Request(f"{central.base}/api/hubs/releases/3.0.0/bundle",
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    status, headers, body = get(None)
    assert status == 200 and body == published and headers["Accept-Ranges"] == "bytes"
    status, headers, body = get("bytes=100-")
    assert status == 206 and body == published[100:]
    assert headers["Content-Range"] == f"bytes 100-{len(published) - 1}/{len(published)}"
    status, _, body = get("bytes=10-19")
    assert status == 206 and body == published[10:20]
    assert get(f"bytes={len(published)}-")[0] == 416
    status, _ = central.call("GET", "/api/hubs/releases/9.9.9/bundle", token=token)
    assert status == 404
    assert central.call("GET", "/api/hubs/releases/3.0.0/bundle")[0] == 401

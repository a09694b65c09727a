"""Fleet updates against real processes (issue 17): central publishes, the hub pulls,
installs side by side, restarts under the launcher (systemd's role) and rolls back alone.

One wheelhouse and one central per module; each test has its own hub, outlet and update
root. Versions: N = 1.0.0 (installed like provisioning would), N+1 = 1.0.1, a bad N+2 =
1.0.2 whose hub exits at start, and 1.0.9 signed with a key the hubs do not trust.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.release_install import install
from outlet_protocol.bundle import public_key_text
from tests.central.conftest import CentralUnderTest, PgDatabase, make_database_url, start_central
from tests.integration.conftest import eventually
from tests.support.processes import Process, http_json
from tests.support.releases import LaunchedHub, ReleaseKit
from tests.support.wsclient import make_order

# A hang guard, not a timing: the first test also pays for the module's wheelhouse and central
# (pip wheel took 105 s on a loaded CI-kind machine), so 240 s was not enough there.
pytestmark = pytest.mark.timeout(480)


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> ReleaseKit:
    return ReleaseKit(tmp_path_factory.mktemp("releases"))


@pytest.fixture(scope="module")
def hq(kit: ReleaseKit, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralUnderTest]:
    tmp = tmp_path_factory.mktemp("hq")
    cleanup: list[PgDatabase] = []
    proc = start_central(tmp, make_database_url("sqlite", tmp, cleanup),
                         CENTRAL_RELEASE_PUBLIC_KEY=public_key_text(kit.key.public_key()))
    try:
        hq = CentralUnderTest(proc, proc.admin_token(), "sqlite")
        proc.cli("release", "publish", str(kit.bundle("1.0.1")))
        # The bad one also changes the schema the old release cannot run on: hubs back up
        # their database before switching, and the rollback puts it back.
        proc.cli("release", "publish", str(kit.bundle("1.0.2", exits_at_start=True,
                                                      backward_compatible=False)))
        yield hq
    finally:
        proc.kill()


def all_day_window() -> str:
    """A window that wraps round to cover every minute but one that has just passed."""
    start = datetime.now() - timedelta(minutes=10)
    end = start - timedelta(minutes=1)
    return f"{start:%H:%M}-{end:%H:%M}"


def launch(hq: CentralUnderTest, kit: ReleaseKit, tmp_path: Path, procs: list[Process],
           window: str = "02:00-05:00") -> tuple[LaunchedHub, int]:
    """A hub provisioned on 1.0.0 under its own update root, enrolled for a new outlet."""
    outlet = hq.new_outlet("Update Test Outlet")
    root = tmp_path / "opt-outlet-hub"
    hub = LaunchedHub(tmp_path, root, outlet_id=outlet, env={
        "HUB_CENTRAL_URL": hq.base, "HUB_ENROLLMENT_TOKEN": hq.enrollment_token(outlet),
        "HUB_HEARTBEAT_SECONDS": "0.5", "HUB_UPDATE_ROOT": str(root),
        "HUB_RELEASE_PUBLIC_KEY": public_key_text(kit.key.public_key()),
        "HUB_UPDATE_TICK_SECONDS": "0.2", "HUB_UPDATE_WINDOW": window})
    install(hub.layout, kit.bundle("1.0.0"), hub.env["HUB_RELEASE_PUBLIC_KEY"],
            hub.data_dir / "hub.sqlite3")
    hub.layout.point("current", "1.0.0")
    procs.append(hub)
    hub.start()
    return hub, outlet


def health(hub: LaunchedHub) -> dict[str, Any]:
    try:
        status, body = http_json(f"{hub.ops}/health", timeout=2)
    except OSError:
        return {}
    return dict(body) if status == 200 and isinstance(body, dict) else {}


def running_version(hub: LaunchedHub) -> str:
    """The version /health reports; a busy CI machine may miss one 2 s answer, so poll."""
    return str(eventually(lambda: health(hub).get("version")))


def on_version(hub: LaunchedHub, version: str, state: str) -> dict[str, Any] | None:
    body = health(hub)
    ok = body.get("version") == version and (body.get("update") or {}).get("state") == state
    return body if ok else None


def outlet_row(hq: CentralUnderTest, outlet: int) -> dict[str, Any]:
    rows = hq.as_admin("GET", "/api/releases/outlets")["outlets"]
    return dict(next(r for r in rows if r["outlet_id"] == outlet))


def assign(hq: CentralUnderTest, version: str, outlet: int, force: bool) -> dict[str, Any]:
    return dict(hq.as_admin("PUT", "/api/releases/rollout", {
        "version": version, "ring": "canary", "canary_outlets": [outlet], "force": force}))


def test_hub_refuses_a_foreign_bundle_waits_for_open_orders_updates_and_rolls_back_alone(
        hq: CentralUnderTest, kit: ReleaseKit, tmp_path: Path, procs: list[Process]) -> None:
    """The whole journey on one hub (three installs are the expensive part of this module)."""
    hub, outlet = launch(hq, kit, tmp_path, procs, window=all_day_window())
    assert running_version(hub) == "1.0.0"

    # 1. A bundle signed with another key: central refuses to publish it with its own key;
    # served anyway (a swapped key at HQ), the hub refuses it before unpacking anything.
    rogue = Ed25519PrivateKey.generate()
    foreign = kit.bundle("1.0.9", key=rogue)
    with pytest.raises(RuntimeError, match="signature does not match"):
        hq.proc.cli("release", "publish", str(foreign))
    hq.proc.cli("release", "publish", str(foreign), "--public-key",
                public_key_text(rogue.public_key()))
    assign(hq, "1.0.9", outlet, force=True)
    row = eventually(lambda: (r := outlet_row(hq, outlet))["state"] == "failed" and r)
    assert "signature does not match" in row["last_error"]
    assert running_version(hub) == "1.0.0"
    assert not (hub.layout.releases / "1.0.9").exists()
    assert list(hub.layout.downloads.iterdir()) == []

    # 2. Inside the window but a kitchen has an open order: N+1 waits, nothing installed.
    order = make_order("A-17", outlet_id=outlet)
    status, _ = http_json(f"{hub.base}/api/orders", "POST", order)
    assert status in (200, 201)
    assign(hq, "1.0.1", outlet, force=False)
    body = eventually(lambda: (h := health(hub)) and (h.get("update") or {}).get("state")
                      == "waiting_window" and h)
    assert "1 order(s) open on a kitchen screen" in body["update"]["last_error"]
    for _ in range(5):                     # several updater ticks later it still waits
        beat = eventually(lambda: (h := health(hub)) and h)
        assert (beat["version"], beat["update"]["state"]) == ("1.0.0", "waiting_window")
    assert not (hub.layout.releases / "1.0.1").exists()

    # 3. The order is completed: N+1 installs side by side, the hub restarts into it and
    # verifies itself; central sees the new version.
    for status_name in ("preparing", "completed"):
        code, answer = http_json(f"{hub.base}/api/orders/{order['uuid']}", "PATCH",
                                 {"status": status_name})
        assert code == 200, answer
    eventually(lambda: on_version(hub, "1.0.1", "done"), timeout=90)
    assert hub.layout.linked_version("current") == "1.0.1"
    assert hub.layout.linked_version("previous") == "1.0.0"
    row = eventually(lambda: (r := outlet_row(hq, outlet))["state"] == "done" and r)
    assert (row["current_version"], row["target_version"]) == ("1.0.1", "1.0.1")

    # 4. A bad N+2 (its hub exits at start, its schema not backward compatible), forced:
    # the database is backed up before the switch; three starts, then the launcher's guard
    # switches back to N+1, restores the backup with N+1's `outlet-hub restore`, and N+1
    # reports the rollback to central.
    generation = assign(hq, "1.0.2", outlet, force=True)["rollout"]["generation"]
    row = eventually(lambda: (r := outlet_row(hq, outlet))["state"] == "rolled_back" and r,
                     timeout=120)
    assert row["current_version"] == "1.0.1"
    assert row["reported_target"] == "1.0.2"
    assert "stopped 3 times" in row["last_error"]
    body = eventually(lambda: on_version(hub, "1.0.1", "rolled_back"))
    assert body["update"]["target"] == "1.0.2"
    assert "stopped 3 times" in body["update"]["last_error"]
    assert hub.log().count("bad release: exits at start") == 3
    assert sorted(p.name for p in hub.layout.releases.iterdir()) == ["1.0.1", "1.0.2"]
    backups = list(hub.layout.backups.glob("pre-update-*.sqlite"))
    assert len(backups) == 1
    assert f"outlet-hub-launcher: restored {backups[0]}" in hub.log()
    code, kept = http_json(f"{hub.base}/api/orders/{order['uuid']}")
    assert code == 200 and kept["status"] == "completed", kept

    # 5. Not retried while central names it at the same generation: three heartbeats later
    # the hub still runs 1.0.1 and has not started 1.0.2 again.
    for _ in range(3):
        before = last_heartbeat(hq, outlet)
        eventually(lambda b=before: last_heartbeat(hq, outlet) != b)
    assert outlet_row(hq, outlet)["state"] == "rolled_back"
    assert hub.log().count("bad release: exits at start") == 3
    assert hq.as_admin("GET", "/api/releases")["rollout"]["generation"] == generation


def last_heartbeat(hq: CentralUnderTest, outlet: int) -> str:
    return str(hq.as_admin("GET", f"/api/tenants/outlets/{outlet}/")["hub"]["last_heartbeat_at"])


def test_central_serves_a_bundle_range_for_a_resumed_download(
        hq: CentralUnderTest, kit: ReleaseKit) -> None:
    _, token, _ = hq.enrolled_hub()
    data = kit.bundle("1.0.1").read_bytes()
    req = urllib.request.Request(f"{hq.base}/api/hubs/releases/1.0.1/bundle",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Range": "bytes=1000-"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 206
        assert resp.headers["Content-Range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"
        assert resp.read() == data[1000:]
    status, _ = hq.call("GET", "/api/hubs/releases/1.0.1/bundle")
    assert status == 401

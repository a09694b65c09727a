"""The single-file hub (`make hub-binary`): runs with no Python of ours on PATH, serves /health,
stores an order (ack) and delivers it to a kitchen screen, and serves the apps inside it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import ROOT, Hub, http_json, running, wait_for_http
from tests.support.wsclient import WsClient, make_order

BINARY = Path(os.environ.get("OUTLET_HUB_BINARY", ROOT / "build" / "hub-binary" / "outlet-hub"))
CLEAN_PATH = "/usr/bin:/bin"


@pytest.fixture
def binary() -> Path:
    if not BINARY.exists():
        pytest.fail(f"{BINARY} not built: run `make hub-binary` (make test builds it first)")
    return BINARY


def binary_hub(binary: Path, workdir: Path) -> Hub:
    hub = Hub(workdir, outlet_id=3, name="hub-binary")
    hub.argv = [str(binary), "run"]
    # Only the hub's own settings: no venv, no PYTHONPATH, started outside the repository.
    hub.env = {k: v for k, v in hub.env.items() if k.startswith("HUB_") or k.endswith("_PORT")}
    hub.env["PATH"] = CLEAN_PATH
    hub.cwd = workdir
    return hub


async def test_binary_serves_health_stores_and_delivers_an_order(binary: Path, tmp_path: Path) -> None:
    hub = binary_hub(binary, tmp_path)
    with running(hub):
        wait_for_http(f"{hub.ops}/health", timeout=60)
        status, health = http_json(f"{hub.ops}/health")
        assert status == 200 and health["db"] == "ok" and health["outlet_id"] == 3, health

        kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="k1")
        pos = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos1")
        try:
            await kitchen.wait_for(lambda m: m["type"] == "connected")
            order = make_order("B-1", outlet_id=3)
            ack = await pos.submit(order)
            assert ack["type"] == "ack", ack
            got = await kitchen.wait_for(lambda m: m["type"] == "new_order")
            assert order["uuid"] in str(got)
        finally:
            await kitchen.close()
            await pos.close()
        status, orders = http_json(f"{hub.base}/api/orders?since_rev=0")
        assert status == 200 and order["uuid"] in str(orders), orders

        # The browser apps travel inside the binary.
        status, page = http_json(f"{hub.base}/kitchen/")
        assert status == 200 and "<html" in str(page).lower(), page
    assert (hub.data_dir / "hub.sqlite3").exists()


def test_binary_check_config_names_the_bad_key(binary: Path, tmp_path: Path) -> None:
    bad = tmp_path / "hub.toml"
    bad.write_text("[hub]\noutlet_id = 'x'\n")
    out = subprocess.run([str(binary), "check-config", "--config", str(bad)], capture_output=True,
                         text=True, env={"PATH": CLEAN_PATH}, cwd=tmp_path, timeout=60, check=False)
    assert out.returncode == 2 and "outlet_id" in out.stderr, out

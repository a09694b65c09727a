"""The booted HQ: central as its role renders it, behind the role's nginx over HTTPS.

A real hub in its own network namespace (never the machine's real interfaces) enrolls
through nginx with HQ's self-signed certificate pinned (`central_ca_file`); without the
pin it is refused. The admin API reached through nginx shows the hub's websocket_url, and
central's failure throttle counts the namespace's address, not nginx's 127.0.0.1.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.central.conftest import PgDatabase, require_postgres
from tests.integration.conftest import eventually
from tests.support.hq_proxy import HqProxy
from tests.support.netns import CLIENT_SCRIPT, Link, NetnsLab
from tests.support.processes import Central, Hub, http_json, wait_for_port
from tests.support.role_templates import render_role_template

METRICS_TOKEN = "booted-hq-metrics-token-0123456789"


def https_json(url: str, cafile: Path, method: str = "GET", body: Any = None,
               token: str | None = None) -> tuple[int, Any]:
    """A JSON call that trusts only `cafile` (HQ's certificate)."""
    req = urllib.request.Request(url, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    context = ssl.create_default_context(cafile=str(cafile))
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:
            return int(resp.status), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"null")


def role_env(tmp: Path, database_url: str) -> dict[str, str]:
    """central.env as the outlet_central role renders it (test database and paths)."""
    text = render_role_template(
        "outlet_central", "central.env.j2", outlet_central_database_url=database_url,
        outlet_central_data_dir=str(tmp / "central-data"),
        outlet_central_metrics_token=METRICS_TOKEN, outlet_central_auth_failure_limit=3)
    env = dict(line.split("=", 1) for line in text.splitlines()
               if line and not line.startswith("#"))
    assert env["CENTRAL_TRUSTED_PROXIES"] == "127.0.0.1/32,::1/128"   # the role's default
    (tmp / "central-data").mkdir()
    return env


@pytest.fixture
def lab() -> Iterator[NetnsLab]:
    with NetnsLab() as netns:
        yield netns


@pytest.fixture
def pg_url() -> Iterator[str]:
    require_postgres()
    db = PgDatabase()
    db.create()
    yield db.url
    db.drop()


def hub_in(lab: NetnsLab, ns: str, side: Link, tmp: Path, env: dict[str, str]) -> Hub:
    """A hub inside `ns`, listening on its end of the veth pair."""
    hub = Hub(tmp, outlet_id=int(env.pop("outlet")), name="booted-hub",
              env={"HUB_BIND": side.address, **env})
    lab.adopt(hub, ns)
    hub.start(wait=False)
    wait_for_port(hub.http_port, host=side.address, timeout=30)
    return hub


def health(hub: Hub, side: Link) -> dict[str, Any]:
    return http_json(f"http://{side.address}:{hub.http_port}/health")[1]  # type: ignore[no-any-return]


def test_hub_enrolls_through_nginx_with_pinned_ca_and_throttle_sees_its_address(
        tmp_path: Path, lab: NetnsLab, pg_url: str) -> None:
    ns = lab.namespace("hq-hub")
    host_side, hub_side = lab.veth(None, ns)
    lab.route(ns, "default", via=host_side.address)

    central = Central(tmp_path / "central", pg_url, env=role_env(tmp_path, pg_url),
                      name="booted-central")
    lab.processes.append(central)              # killed by the lab's cleanup
    central.start()
    proxy = HqProxy(tmp_path / "nginx", [f"127.0.0.1:{central.port}"],
                    addresses=[host_side.address])
    assert "syntax is ok" in proxy.check()
    lab.processes.append(proxy)
    proxy.start()
    hq = f"https://{host_side.address}:{proxy.https_port}"

    admin = central.admin_token()
    status, outlet = https_json(f"{proxy.base}/api/tenants/outlets/", proxy.cert, "POST",
                                {"name": "Booted stall"}, admin)
    assert status == 201, outlet
    _, enrollment = https_json(f"{proxy.base}/api/outlets/{outlet['id']}/enrollment-tokens",
                               proxy.cert, "POST", None, admin)
    hub_env = {"outlet": str(outlet["id"]), "HUB_CENTRAL_URL": hq,
               "HUB_ENROLLMENT_TOKEN": enrollment["token"], "HUB_HEARTBEAT_SECONDS": "1"}

    # Without the pin the hub trusts only the system's CAs: HQ's certificate is refused.
    unpinned = hub_in(lab, ns, hub_side, tmp_path, dict(hub_env))
    refusal = eventually(lambda: [r for r in health(unpinned, hub_side)["reasons"]
                                  if "certificate" in r.lower()])
    assert "CERTIFICATE_VERIFY_FAILED" in " ".join(refusal)
    unpinned.kill()
    assert "/api/hubs/register" not in central.log()

    # With HQ's certificate pinned the same hub (same data dir, unused token) enrolls.
    pinned = hub_in(lab, ns, hub_side, tmp_path,
                    dict(hub_env, HUB_CENTRAL_CA_FILE=str(proxy.cert)))
    eventually(lambda: health(pinned, hub_side)["central"] == "ok")

    def shown() -> dict[str, Any] | None:
        _, body = https_json(f"{proxy.base}/api/tenants/outlets/{outlet['id']}/",
                             proxy.cert, token=admin)
        return body if body["websocket_url_source"] == "hub" and body["hub"]["online"] else None
    seen = eventually(shown)
    assert seen["websocket_url"] == f"ws://{hub_side.address}:{pinned.ws_port}/ws"
    # Central logged the hub's own address (X-Forwarded-For from the trusted nginx).
    assert f'{hub_side.address} "POST /api/hubs/register' in central.log()

    # The throttle counts the namespace's address: it is locked out after 3 failures...
    bad = {"op": "http", "method": "POST", "url": f"{hq}/api/auth/login",
           "body": {"username": "ops", "password": "wrong"}}
    codes = [r["status"] for r in lab.python(ns, CLIENT_SCRIPT, [bad] * 4,
                                             env={"SSL_CERT_FILE": str(proxy.cert)})]
    assert codes == [401, 401, 401, 429]
    # ...while a client at another address, through the same nginx, is not.
    status, _ = https_json(f"{proxy.base}/api/auth/login", proxy.cert, "POST",
                           {"username": "ops", "password": "wrong"})
    assert status == 401
    # And the pinned hub's heartbeats pass through nginx under its own address.
    eventually(lambda: central.log().count(f'{hub_side.address} "POST /api/hubs/heartbeat') >= 2)

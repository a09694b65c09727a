"""Trusting the LAN CA on a device (issue 16, decision 1001) and the apps' web manifests:
the in-process hub app (aiohttp's test client, the real routes and middlewares) with a
certificate made the real way, and the sans-I/O shapes in hub/core/device_trust.py."""

from __future__ import annotations

import base64
import json
import plistlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from central.core import pki
from hub.app import build_apps, build_context
from hub.config import load
from hub.core.device_trust import download_url
from hub.lan_tls import LanCertificate
from tests.support.wsclient import make_order

Client = Any


def issue_certificate(data_dir: Path, hub_id: str = "hub-grill") -> bytes:
    """A hub key + CSR (hub/lan_tls.py) signed by central's CA code; returns the CA PEM."""
    certificate = LanCertificate(data_dir)
    csr = x509.load_pem_x509_csr(certificate.csr(hub_id, ["127.0.0.1"]).encode())
    now = datetime.now(UTC)
    authority = pki.create_authority("Test LAN CA", now)
    issued = pki.issue(authority, csr, hub_id, now)
    certificate.install(issued.public_bytes(Encoding.PEM).decode(), authority.cert_pem.decode())
    return authority.cert_pem


@pytest.fixture
def hub_client(tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
               ) -> Callable[..., Awaitable[Client]]:
    async def make(with_certificate: bool, tls: str = "on") -> Client:
        data = tmp_path / f"{with_certificate}-{tls}"
        ca = issue_certificate(data) if with_certificate else None
        cfg = load(environ={"HUB_DATA_DIR": str(data), "HUB_ID": "hub-grill",
                            "HUB_MQTT_URL": "none", "HUB_ZEROCONF": "off", "HUB_TLS_ENABLED": tls,
                            "HUB_HTTPS_PORT": "3443", "HUB_UI_DIR": str(Path("ui").resolve())})
        main, _ops = build_apps(build_context(cfg))
        client = await aiohttp_client(main)
        client.ca = ca
        return client
    return make


async def test_trust_files_carry_the_ca_each_platform_installs(hub_client: Any) -> None:
    client = await hub_client(True)
    ca = x509.load_pem_x509_certificate(client.ca)
    der = ca.public_bytes(Encoding.DER)
    resp = await client.get("/trust/outlet-ca.crt")
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/x-x509-ca-cert"
    assert await resp.read() == der
    resp = await client.get("/trust/outlet-ca.mobileconfig")
    profile = plistlib.loads(await resp.read())
    [payload] = profile["PayloadContent"]
    assert payload["PayloadType"] == "com.apple.security.root" and payload["PayloadContent"] == der
    resp = await client.get("/trust/chromium-policy.json")
    assert [base64.b64decode(c) for c in json.loads(await resp.text())["CACertificates"]] == [der]
    assert (await client.get("/trust/../hub.key")).status == 404
    assert (await client.get("/trust/hub.key")).status == 404


async def test_qr_code_points_a_phone_at_plain_http_on_the_same_host(hub_client: Any) -> None:
    client = await hub_client(True)
    resp = await client.get("/trust/qr.svg?file=outlet-ca.mobileconfig",
                            headers={"Host": "192.168.1.10:3443"})
    svg = await resp.text()
    assert resp.status == 200 and svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "http://192.168.1.10:3001/trust/outlet-ca.mobileconfig" in svg
    assert (await client.get("/trust/qr.svg?file=../../etc/passwd")).status == 404


async def test_without_a_certificate_there_is_nothing_to_trust_and_no_redirect(
        hub_client: Any) -> None:
    client = await hub_client(False)
    for path in ("/ca.pem", "/trust/outlet-ca.crt", "/trust/qr.svg"):
        assert (await client.get(path)).status == 404, path
    resp = await client.get("/kiosk/", allow_redirects=False, headers={"Accept": "text/html"})
    assert resp.status == 200
    status = await (await client.get("/api/status")).json()
    assert status["tls"]["state"] == "none" and not status["tls"]["serving"]


async def test_app_pages_redirect_to_https_and_status_reports_the_certificate(
        hub_client: Any) -> None:
    client = await hub_client(True)
    resp = await client.get("/kitchen/?station=grill", allow_redirects=False,
                            headers={"Host": "hub-grill.local:3001"})
    assert resp.status == 302
    assert resp.headers["Location"] == "https://hub-grill.local:3443/kitchen/?station=grill"
    assert (await client.get("/api/status", allow_redirects=False)).status == 200
    tls = (await (await client.get("/api/status")).json())["tls"]
    assert tls["state"] == "ok" and tls["names"] == ["hub-grill.local", "127.0.0.1"]


async def test_seed_clients_keep_plain_http_while_the_hub_has_a_certificate(
        hub_client: Any) -> None:
    """Devices that cannot trust a CA: /emit, polling and the WebSocket at / stay plain."""
    client = await hub_client(True)
    order = make_order("A-1")
    resp = await client.post("/emit", json=order, allow_redirects=False)
    assert resp.status == 201, await resp.text()
    resp = await client.get("/api/orders?outlet_id=1&since_id=0", allow_redirects=False)
    assert resp.status == 200 and [o["uuid"] for o in await resp.json()] == [order["uuid"]]
    ws = await client.ws_connect("/")
    await ws.send_json({"type": "hello", "payload": {"client_type": "kitchen",
                                                     "client_id": "seed-kds"}})
    first = await ws.receive_json(timeout=10)
    assert first["type"] != "error", first
    await ws.close()


async def test_tls_disabled_ignores_a_certificate_on_disk(hub_client: Any) -> None:
    client = await hub_client(True, tls="off")
    resp = await client.get("/kiosk/", allow_redirects=False, headers={"Host": "hub-grill.local"})
    assert resp.status == 200
    status = await (await client.get("/api/status")).json()
    assert status["tls"]["state"] == "disabled" and status["reasons"] == []


async def test_every_app_has_an_installable_manifest(hub_client: Any) -> None:
    client = await hub_client(False)
    for path, start in (("/manifest.webmanifest", "/"), ("/kiosk/manifest.webmanifest", "/kiosk/"),
                        ("/kitchen/manifest.webmanifest", "/kitchen/"),
                        ("/board/manifest.webmanifest", "/board/")):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert resp.headers["Content-Type"].startswith("application/manifest+json")
        manifest = json.loads(await resp.text())
        assert manifest["start_url"] == start and manifest["name"] and manifest["icons"]
        icon = await client.get(manifest["icons"][0]["src"])
        assert icon.status == 200


def test_download_url_brackets_ipv6() -> None:
    assert download_url("fe80::1", 3001, "outlet-ca.crt") == \
        "http://[fe80::1]:3001/trust/outlet-ca.crt"

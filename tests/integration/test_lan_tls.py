"""HTTPS on the outlet LAN (issue 16, decision 1001): a hub's certificate from HQ's CA.

One central and one hub, both under libfaketime reading the same offset file, so the test
moves HQ's and the hub's wall clock together as the days pass: the hub enrolls and gets a
certificate (its key never leaves it), renews it at 2/3 of its life, keeps serving it when
restarted with HQ gone, says so while renewal is overdue, and degrades /health once it
expired. Plain HTTP keeps answering the API; app pages redirect to HTTPS.
"""

from __future__ import annotations

import json
import ssl
import stat
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from tests.central.conftest import CentralUnderTest, make_database_url, start_central
from tests.support.faults import eventually
from tests.support.processes import Hub, Process, free_port, http_json

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
PKI_KEY = "test-pki-passphrase-" + "x" * 12
# libfaketime reading its file on every clock call slows both processes down; on a busy
# machine a call may take seconds. This bounds a wait, it times nothing.
TIMEOUT = 20.0


def health(hub: Hub) -> dict[str, Any]:
    return dict(http_json(f"{hub.ops}/health", timeout=TIMEOUT)[1])


def _raw(url: str, context: ssl.SSLContext | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects; (status, headers, body)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    handlers: list[Any] = [NoRedirect()]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=TIMEOUT) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _trusting(ca_file: Path) -> ssl.SSLContext:
    """A client that trusts only the test CA (hostname checked)."""
    return ssl.create_default_context(cafile=str(ca_file))


def _served_serial(port: int) -> int:
    """The serial of the certificate the HTTPS listener presents (read, not verified: after
    the clock moved it starts days ahead of this test's real clock)."""
    return x509.load_pem_x509_certificate(
        ssl.get_server_certificate(("127.0.0.1", port), timeout=TIMEOUT).encode()).serial_number


def _serial(hub: Hub) -> int:
    return x509.load_pem_x509_certificate(
        (hub.data_dir / "tls" / "hub.crt").read_bytes()).serial_number


def _pki_central(tmp_path: Path, clock: Path, procs: list[Process]) -> CentralUnderTest:
    """A central with a LAN CA, its wall clock read from `clock` (libfaketime)."""
    url = make_database_url("sqlite", tmp_path, [])
    proc = start_central(tmp_path / "central", url, CENTRAL_PKI_KEY=PKI_KEY,
                         LD_PRELOAD=str(LIBFAKETIME), FAKETIME_TIMESTAMP_FILE=str(clock),
                         FAKETIME_NO_CACHE="1", FAKETIME_DONT_FAKE_MONOTONIC="1")
    procs.append(proc)
    return CentralUnderTest(proc, proc.admin_token(), "sqlite")


@pytest.mark.timeout(180)
def test_certificate_issued_at_enrollment_renewed_kept_offline_and_expiry_degrades_health(
        tmp_path: Path, procs: list[Process], hub_factory: Callable[..., Hub]) -> None:
    assert LIBFAKETIME.exists(), "libfaketime missing: `make deps` installs it"
    clock = tmp_path / "faketime"
    clock.write_text("+0\n")
    hq = _pki_central(tmp_path, clock, procs)
    outlet = hq.new_outlet("Plaza Senayan")
    https_port = free_port()
    hub = hub_factory(outlet_id=outlet, env={
        "HUB_CENTRAL_URL": hq.base, "HUB_ENROLLMENT_TOKEN": hq.enrollment_token(outlet),
        "HUB_HEARTBEAT_SECONDS": "0.5", "HUB_HTTPS_PORT": str(https_port),
        "LD_PRELOAD": str(LIBFAKETIME), "FAKETIME_TIMESTAMP_FILE": str(clock),
        "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"})

    # Enrollment brings a certificate; the key stays on the hub, readable by its user only.
    tls = eventually(lambda: health(hub)["tls"]["state"] == "ok" and health(hub)["tls"],
                     "a certificate after enrollment")
    assert "hub-hub-test.local" not in tls["names"] and "hub-test.local" in tls["names"]
    assert "127.0.0.1" in tls["names"]
    metrics = _raw(f"{hub.ops}/metrics")[2].decode()
    [expiry] = [float(line.split()[-1]) for line in metrics.splitlines()
                if line.startswith("outlet_hub_tls_certificate_expiry_timestamp_seconds ")]
    assert expiry == datetime.fromisoformat(tls["not_after"].replace("Z", "+00:00")).timestamp()
    key = hub.data_dir / "tls" / "hub.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    status, _, ca = _raw(f"{hq.base}/api/pki/ca.pem")
    assert status == 200 and ca.startswith(b"-----BEGIN CERTIFICATE-----")
    for base in (hub.base, hub.ops):
        assert _raw(f"{base}/ca.pem")[2] == ca, "the hub serves central's CA bundle"
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca)
    assert key.read_bytes() not in hq.proc.log().encode()

    # HTTPS with only the CA trusted; plain HTTP redirects app pages, never the API.
    eventually(lambda: health(hub)["tls"]["serving"], "the https listener")
    status, _, body = _raw(f"https://127.0.0.1:{https_port}/api/status", _trusting(ca_file))
    assert status == 200 and json.loads(body)["tls"]["state"] == "ok"
    with pytest.raises(urllib.error.URLError):
        _raw(f"https://127.0.0.1:{https_port}/api/status", ssl.create_default_context())
    status, headers, _ = _raw(f"{hub.base}/kiosk/?table=4", headers={"Accept": "text/html"})
    assert status == 302 and headers["Location"] == f"https://127.0.0.1:{https_port}/kiosk/?table=4"
    assert _raw(f"{hub.base}/api/status")[0] == 200
    wss = f"wss://127.0.0.1:{https_port}/ws"
    eventually(lambda: hq.as_admin("GET", f"/api/tenants/outlets/{outlet}/")["websocket_url"]
               == wss, "central hears the wss:// websocket_url", 20)

    # 21 days on (past 2/3 of 30), HQ and hub alike: the hub renews by itself.
    first = _serial(hub)
    clock.write_text("+21d\n")
    eventually(lambda: _serial(hub) != first, "a renewal at 2/3 of the certificate's life")
    eventually(lambda: health(hub)["tls"]["state"] == "ok", "the renewed certificate is ok")
    renewed = _serial(hub)
    assert _served_serial(https_port) == renewed, "the running listener serves the new pair"

    # HQ gone, hub restarted: it serves the certificate it has.
    hq.proc.kill()
    hub.terminate()
    hub.start()
    eventually(lambda: health(hub)["tls"]["serving"], "https after an offline restart")
    assert _serial(hub) == renewed
    assert _served_serial(https_port) == renewed, "the hub serves its certificate offline"

    # Renewal overdue (41 days: 2/3 of the renewed one's life): still serving, says so.
    clock.write_text("+45d\n")
    body = eventually(lambda: (h := health(hub))["tls"]["state"] == "expiring" and h,
                      "the expiring state")
    assert any(r.startswith("tls: LAN certificate expires in") for r in body["reasons"])
    # Expired (51 days): /health is degraded with the reason, plain HTTP still serves.
    clock.write_text("+52d\n")
    body = eventually(lambda: (h := health(hub))["tls"]["state"] == "expired" and h,
                      "the expired state")
    assert body["status"] == "degraded"
    assert any(r.startswith("tls: LAN certificate expired") for r in body["reasons"])
    status, _, _ = _raw(f"{hub.base}/kiosk/", headers={"Accept": "text/html"})
    assert status == 200, "an expired certificate must not redirect browsers to a failing page"

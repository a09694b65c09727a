"""MQTT over TLS on the outlet LAN (issue 16, decision 1001): Mosquitto's device listener
with the hub's certificate from HQ's CA, configured by the mosquitto role's own template.

The certificate is made the real way: the hub's key and CSR (hub/lan_tls.py), signed by
the CA code central runs (central/core/pki.py). A device with the CA file connects and
subscribes; without it, or in plain MQTT, the broker's TLS listener refuses it.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from central.core import pki
from hub.lan_tls import LanCertificate
from tests.support.processes import ROOT, Mosquitto, Process, free_port, wait_for_port

ROLE = ROOT / "provisioning" / "roles" / "mosquitto"
DEVICE, PASSWORD = "kds-grill", "grill-secret"


def render_tls_listener(**values: object) -> str:
    """The role's TLS listener template, rendered the way Ansible would."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROLE / "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["comment"] = lambda text: "#\n# " + str(text) + "\n#"
    return env.get_template("outlet-hub-tls.conf.j2").render(
        ansible_managed="Ansible managed (test)", **values)


@pytest.fixture
def tls_broker(tmp_path: Path, procs: list[Process]) -> tuple[int, Path]:
    """(TLS port, CA file) of a broker whose TLS listener uses a hub certificate."""
    certificate = LanCertificate(tmp_path / "hub-data")
    csr = x509.load_pem_x509_csr(certificate.csr("hub-grill", ["127.0.0.1"]).encode())
    now = datetime.now(UTC)
    authority = pki.create_authority("Test LAN CA", now)
    issued = pki.issue(authority, csr, "hub-grill", now)
    certificate.install(issued.public_bytes(Encoding.PEM).decode(),
                        authority.cert_pem.decode())
    work = tmp_path / "mqtt"
    work.mkdir()
    passwd = work / "outlet-hub.passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwd), DEVICE, PASSWORD],
                   check=True, capture_output=True)
    acl = work / "outlet-hub.acl"
    acl.write_text(f"user {DEVICE}\ntopic read kitchen-sync/1/orders/new\n")
    port = free_port()
    listener = render_tls_listener(
        mosquitto_tls_port=port, mosquitto_lan_address="127.0.0.1",
        mosquitto_password_file=passwd, mosquitto_acl_file=acl,
        mosquitto_tls_dir=certificate.dir, mosquitto_tls_include_dir=work)
    # `user root`: the files in pytest's 0700 directory stay readable (no drop to mosquitto).
    broker = Mosquitto(work, head_conf="per_listener_settings true\nuser root\n",
                       extra_conf=listener)
    broker.start()
    procs.append(broker)
    wait_for_port(port)
    return port, certificate.ca_path


def _subscribe(port: int, *tls: str) -> subprocess.CompletedProcess[str]:
    """mosquitto_sub that exits once its subscription is acknowledged (-E)."""
    return subprocess.run(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-u", DEVICE, "-P", PASSWORD,
         "-t", "kitchen-sync/1/orders/new", "-E", "-W", "5", *tls],
        capture_output=True, text=True, timeout=15, check=False)


def test_device_with_the_ca_subscribes_over_tls(tls_broker: tuple[int, Path]) -> None:
    port, ca = tls_broker
    done = _subscribe(port, "--cafile", str(ca))
    assert done.returncode == 0, done.stderr


def test_device_without_the_ca_is_refused(tls_broker: tuple[int, Path]) -> None:
    port, _ = tls_broker
    done = _subscribe(port, "--capath", "/etc/ssl/certs")
    assert done.returncode != 0
    assert "A TLS error occurred" in done.stderr


def test_plain_mqtt_on_the_tls_listener_is_refused(tls_broker: tuple[int, Path]) -> None:
    port, _ = tls_broker
    done = _subscribe(port)
    assert done.returncode != 0, "the TLS listener accepted plain MQTT"

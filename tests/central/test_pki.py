"""HQ's LAN CA through the real `outlet-central` (issue 16, decision 1001), on SQLite and
PostgreSQL: the public CA bundle, a certificate only for a hub and only for its own names,
rotation that keeps the old CA trusted, rekeying the sealed CA key."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.central.conftest import CentralUnderTest, start_central
from tests.support.processes import ROOT

PKI_KEY = "central-test-pki-passphrase-0001"


@pytest.fixture(scope="module")
def hq(backend: str, database_url: str,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralUnderTest]:
    """One central with a LAN CA per module and backend."""
    proc = start_central(tmp_path_factory.mktemp(f"pki-{backend}"), database_url,
                         CENTRAL_PKI_KEY=PKI_KEY)
    try:
        yield CentralUnderTest(proc, proc.admin_token(), backend)
    finally:
        proc.kill()


def _csr(names: list[str], ips: list[str]) -> str:
    san: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    san += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    request = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub")]))
               .add_extension(x509.SubjectAlternativeName(san), critical=False)
               .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256()))
    return request.public_bytes(serialization.Encoding.PEM).decode()


def _bundle(hq: CentralUnderTest) -> list[x509.Certificate]:
    import urllib.request
    with urllib.request.urlopen(f"{hq.base}/api/pki/ca.pem", timeout=5) as resp:
        assert resp.headers["Content-Type"].startswith("application/x-pem-file")
        return x509.load_pem_x509_certificates(resp.read())


def _cli(base: CentralUnderTest | dict[str, str], *args: str,
         **env: str) -> subprocess.CompletedProcess[str]:
    """`outlet-central <args>` against `base`'s database (a running central's, or a URL)."""
    start = base.proc.env if isinstance(base, CentralUnderTest) else os.environ | base
    return subprocess.run([sys.executable, "-m", "central", *args], env=start | env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_ca_bundle_is_public_and_announced_at_enrollment(hq: CentralUnderTest) -> None:
    [ca] = _bundle(hq)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    outlet = hq.new_outlet()
    status, body = hq.register(outlet, f"hub-pki-{outlet}")
    assert status == 200 and body["ca_fingerprint"] == ca.fingerprint(hashes.SHA256()).hex()
    status, beat = hq.call("POST", "/api/hubs/heartbeat", {"hub_id": f"hub-pki-{outlet}"},
                           token=body["hub_token"])
    assert status == 200 and beat["ca_fingerprint"] == body["ca_fingerprint"]


def test_hub_gets_a_certificate_for_its_own_names_only(hq: CentralUnderTest) -> None:
    outlet = hq.new_outlet()
    _, body = hq.register(outlet, f"hub-grill-{outlet}")
    status, answer = hq.call("POST", "/api/hubs/certificate",
                             {"csr": _csr(["central.example.com"], ["10.1.2.3", "1.1.1.1"])},
                             token=body["hub_token"])
    assert status == 200, answer
    cert = x509.load_pem_x509_certificate(answer["certificate"].encode())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [f"hub-grill-{outlet}.local"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["10.1.2.3"]
    [ca] = x509.load_pem_x509_certificates(answer["ca_bundle"].encode())
    cert.verify_directly_issued_by(ca)
    assert answer["not_after"].startswith(cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M"))


def test_certificate_needs_a_hub_token_and_a_real_csr(hq: CentralUnderTest) -> None:
    assert hq.call("POST", "/api/hubs/certificate", {"csr": _csr([], [])})[0] == 401
    assert hq.call("POST", "/api/hubs/certificate", {"csr": _csr([], [])},
                   token=hq.admin)[0] == 401
    _, hub_token, _ = hq.enrolled_hub()
    status, body = hq.call("POST", "/api/hubs/certificate", {"csr": "-----BEGIN nonsense"},
                           token=hub_token)
    assert status == 400 and body["error"]["field"] == "csr"


def test_rotation_keeps_the_old_ca_in_the_bundle(hq: CentralUnderTest) -> None:
    before = _bundle(hq)
    done = _cli(hq, "pki", "rotate")
    assert done.returncode == 0, done.stderr
    after = _bundle(hq)
    assert len(after) == len(before) + 1 and after[1:] == before, "new CA first, old ones kept"
    # New certificates come from the new CA.
    _, token, _ = hq.enrolled_hub()
    _, answer = hq.call("POST", "/api/hubs/certificate", {"csr": _csr([], [])}, token=token)
    x509.load_pem_x509_certificate(answer["certificate"].encode()).verify_directly_issued_by(
        after[0])


def test_rekey_seals_the_ca_with_a_new_passphrase(tmp_path: Path) -> None:
    """On its own database: the CLI creates the CA, then reseals it (the same SQL both ways)."""
    env = {"CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'rekey.db'}", "CENTRAL_PKI_KEY": PKI_KEY}
    new_key = "the-next-pki-passphrase-00000002"
    assert _cli(env, "pki", "show").returncode == 0
    assert _cli(env, "pki", "rekey").returncode == 2, "CENTRAL_PKI_NEW_KEY is required"
    done = _cli(env, "pki", "rekey", CENTRAL_PKI_NEW_KEY=new_key)
    assert done.returncode == 0, done.stderr
    assert _cli(env, "pki", "show").returncode == 1, "the old passphrase no longer opens it"
    shown = _cli(env | {"CENTRAL_PKI_KEY": new_key}, "pki", "show")
    assert shown.returncode == 0 and shown.stdout.count("BEGIN CERTIFICATE") == 1

"""central/core/pki.py without I/O: the CA, what it signs for a hub, what it refuses."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from central.core import pki
from outlet_protocol.errors import ProtocolError
from outlet_protocol.tls_names import mdns_name

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def csr(names: list[str], ips: list[str], key: object = None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    san: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    san += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    built = (x509.CertificateSigningRequestBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
             .add_extension(x509.SubjectAlternativeName(san), critical=False)
             .sign(key, hashes.SHA256()))  # type: ignore[arg-type]
    return built.public_bytes(serialization.Encoding.PEM).decode()


def san_of(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return (san.get_values_for_type(x509.DNSName),
            [str(a) for a in san.get_values_for_type(x509.IPAddress)])


def test_hub_gets_its_own_names_only_whatever_the_csr_asks() -> None:
    ca = pki.create_authority("Test CA", NOW)
    asked = csr(["bank.example.com", "hub-other.local"], ["192.168.1.10", "8.8.8.8", "127.0.0.1"])
    cert = pki.issue(ca, pki.parse_csr(asked), "hub-grill", NOW)
    assert san_of(cert) == (["hub-grill.local"], ["192.168.1.10", "127.0.0.1"])
    assert cert.not_valid_after_utc - NOW == timedelta(days=30)
    cert.verify_directly_issued_by(ca.certificate)
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_operator_domain_adds_a_name_under_it() -> None:
    ca = pki.create_authority("Test CA", NOW)
    cert = pki.issue(ca, pki.parse_csr(csr([], [])), "hub-grill", NOW, "lan.example.co.id")
    assert san_of(cert)[0] == ["hub-grill.local", "hub-grill.lan.example.co.id"]


def test_ca_key_is_sealed_and_opens_only_with_its_passphrase() -> None:
    ca = pki.create_authority("Test CA", NOW)
    sealed = pki.seal_key(ca, "a-long-enough-passphrase-123")
    assert b"ENCRYPTED PRIVATE KEY" in sealed
    assert pki.open_authority(ca.cert_pem, sealed, "a-long-enough-passphrase-123").key \
        .private_numbers() == ca.key.private_numbers()
    with pytest.raises(ValueError):
        pki.open_authority(ca.cert_pem, sealed, "the-wrong-passphrase-0000000")


@pytest.mark.parametrize("bad", [None, 42, "", "not a csr", "x" * 9000])
def test_unreadable_or_oversized_csr_is_a_validation_error(bad: object) -> None:
    with pytest.raises(ProtocolError) as err:
        pki.parse_csr(bad)
    assert err.value.code == "validation_failed" and err.value.field == "csr"


def test_weak_key_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ProtocolError, match="RSA 2048"):
        pki.parse_csr(csr([], [], weak))


def test_hub_certificate_never_outlives_its_ca() -> None:
    ca = pki.create_authority("Test CA", NOW - pki.CA_LIFETIME + timedelta(days=3))
    cert = pki.issue(ca, pki.parse_csr(csr([], [])), "hub-grill", NOW)
    assert cert.not_valid_after_utc == ca.certificate.not_valid_after_utc


def test_mdns_name_is_a_dns_label_whatever_the_hub_id() -> None:
    assert mdns_name("hub-3fa9c0") == "hub-3fa9c0.local"
    assert mdns_name("Outlet 7 / grill") == "hub-outlet-7-grill.local"
    assert len(mdns_name("x" * 200).split(".")[0]) <= 63

"""HQ's private certificate authority for outlet LANs, with no I/O: create, check, sign.

Every function is told the time and handed the PEM it works on; the store keeps the CA
(its key encrypted with CENTRAL_PKI_KEY) and the web layer moves bytes. Decision 1001.

Numbers: hub certificates live 30 days (a hub renews at 2/3, so it has 10 days of
internet outage before browsers refuse it, and a stolen key is useless within a month);
the CA lives 10 years and is replaced by `outlet-central pki rotate`, its predecessor
staying in the bundle until it expires so no hub certificate stops verifying mid-rotation.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from outlet_protocol.errors import ProtocolError
from outlet_protocol.tls_names import (
    MAX_ADDRESSES,
    certifiable_address,
    domain_name,
    mdns_name,
)

CERT_LIFETIME = timedelta(days=30)
CA_LIFETIME = timedelta(days=3650)
# A browser tolerates a hub whose clock runs a little behind HQ's.
BACKDATE = timedelta(minutes=5)
MAX_CSR_BYTES = 8 * 1024      # an EC P-256 CSR with 10 names is ~700 bytes; RSA-4096 ~2 KB
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class Authority:
    """A CA: certificate PEM and its private key (clear, only in memory while signing)."""

    cert_pem: bytes
    key: ec.EllipticCurvePrivateKey

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)


def fingerprint(cert_pem: bytes) -> str:
    """SHA-256 of the DER certificate, hex: how a hub tells which CA signed what it holds."""
    return x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA256()).hex()


def create_authority(name: str, now: datetime) -> Authority:
    """A new CA (EC P-256), valid from `now` for CA_LIFETIME, allowed to sign leaves only."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Outlet Hub"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name[:64])])
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return Authority(cert.public_bytes(serialization.Encoding.PEM), key)


def seal_key(authority: Authority, passphrase: str) -> bytes:
    """The CA key as encrypted PKCS#8 PEM (what the database holds)."""
    return authority.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()))


def open_authority(cert_pem: bytes, sealed_key: bytes, passphrase: str) -> Authority:
    """The CA back from the database; ValueError when the passphrase is not the right one."""
    key = serialization.load_pem_private_key(sealed_key, passphrase.encode())
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the stored CA key is not an EC key")
    return Authority(cert_pem, key)


def parse_csr(pem: object) -> x509.CertificateSigningRequest:
    """A CSR from the wire, bounded and self-signed, with a key strong enough to sign for."""
    if not isinstance(pem, str) or not pem.strip():
        raise ProtocolError("validation_failed", "csr must be a PEM string", "csr")
    if len(pem) > MAX_CSR_BYTES:
        raise ProtocolError("validation_failed", f"csr longer than {MAX_CSR_BYTES} bytes", "csr")
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
        signed = csr.is_signature_valid
    except (ValueError, InvalidSignature, UnsupportedAlgorithm):
        raise ProtocolError("validation_failed", "csr is not a PEM certificate request",
                            "csr") from None
    if not signed:
        raise ProtocolError("validation_failed", "csr signature does not verify", "csr")
    key = csr.public_key()
    strong = (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size >= 256) or \
             (isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS)
    if not strong:
        raise ProtocolError("validation_failed", "csr key must be EC P-256+ or RSA 2048+", "csr")
    return csr


def requested_addresses(csr: x509.CertificateSigningRequest) -> list[str]:
    """The IP addresses a CSR asks for (its names are decided by HQ, not the request)."""
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def certificate_names(hub_id: str, addresses: list[str], domain: str = ""
                      ) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) HQ signs for `hub_id`: its own names, LAN addresses only."""
    names = [mdns_name(hub_id)]
    if domain:
        names.append(domain_name(hub_id, domain))
    ips: list[str] = []
    for value in addresses:
        if certifiable_address(value) and value not in ips:
            ips.append(value)
    return names, ips[:MAX_ADDRESSES]


def issue(authority: Authority, csr: x509.CertificateSigningRequest, hub_id: str,
          now: datetime, domain: str = "") -> x509.Certificate:
    """A 30-day server certificate for the CSR's key, naming what `certificate_names` allows."""
    names, ips = certificate_names(hub_id, requested_addresses(csr), domain)
    ca = authority.certificate
    san: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    san += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    not_after = min(now + CERT_LIFETIME, ca.not_valid_after_utc)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca.subject).public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                authority.key.public_key()), critical=False)
            .sign(authority.key, hashes.SHA256()))


def still_valid(cert_pem: bytes, now: datetime) -> bool:
    """True while a CA certificate belongs in the bundle hubs and devices trust."""
    return x509.load_pem_x509_certificate(cert_pem).not_valid_after_utc > now


def utc(epoch: float) -> datetime:
    """Epoch seconds (how the store keeps time) as an aware datetime."""
    return datetime.fromtimestamp(epoch, UTC)

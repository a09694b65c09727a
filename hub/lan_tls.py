"""The hub's LAN certificate on disk: its own key (0600, never sent), the certificate and
CA bundle central issued, the CSR that asks for a new one, and the TLS context that serves it.

Files live in `<data_dir>/tls/`: `hub.key`, `hub.crt` (certificate), `ca.pem` (the CA
bundle, also served at /ca.pem). Each is replaced atomically, so a crash mid-renewal
leaves the previous pair, never half of each. Decisions are in hub/core/lan_tls.py.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hub.core.lan_tls import CertFacts, certificate_state, wanted_names

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

# `cryptography` is imported where a certificate is read, made or checked, never at import:
# a hub with no LAN certificate yet (not enrolled, or tls_enabled off) never needs it, and
# it is ~10 MB of RSS (its Rust extension and modules; decision 1901, addendum on memory).

log = logging.getLogger(__name__)

MAX_PEM = 64 * 1024          # a certificate plus a bundle of a few CAs is ~3 KB


class CertificateRejected(ValueError):
    """What central sent cannot be installed (wrong key, not from the bundle, unreadable)."""


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


class LanCertificate:
    """The key pair, certificate and CA bundle in the data dir, and the live TLS context."""

    def __init__(self, data_dir: Path, clock: Callable[[], datetime] | None = None) -> None:
        self.dir = Path(data_dir) / "tls"
        self.key_path = self.dir / "hub.key"
        self.cert_path = self.dir / "hub.crt"
        self.ca_path = self.dir / "ca.pem"
        self.clock = clock or (lambda: datetime.now(UTC))
        self.facts: CertFacts | None = None
        self.context: ssl.SSLContext | None = None
        self.load_error = ""

    # -- reading ---------------------------------------------------------------------------
    def load(self) -> CertFacts | None:
        """Read what is on disk (at start); a broken pair is reported, not served."""
        self.facts, self.load_error = None, ""
        if not (self.cert_path.exists() and self.key_path.exists() and self.ca_path.exists()):
            return None
        try:
            cert_pem, ca_pem = self.cert_path.read_bytes(), self.ca_path.read_bytes()
            self.facts = facts_of(cert_pem, ca_pem)
            self.context = self._new_context()
        except (OSError, ValueError, ssl.SSLError) as exc:
            self.facts, self.context = None, None
            self.load_error = f"cannot use the LAN certificate in {self.dir}: {exc}"
            log.error("%s", self.load_error)
        return self.facts

    def ca_bundle(self) -> bytes | None:
        try:
            return self.ca_path.read_bytes()
        except OSError:
            return None

    def state(self) -> tuple[str, str]:
        """(none | ok | expiring | expired, reason) by the hub's clock now."""
        if self.load_error:
            return "broken", self.load_error
        return certificate_state(self.facts, self.clock())

    # -- asking ----------------------------------------------------------------------------
    def _key(self) -> ec.EllipticCurvePrivateKey:
        """The hub's private key, made once (EC P-256) and readable by the hub user only."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        if self.key_path.exists():
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{self.key_path} is not an EC key")
            return key
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = ec.generate_private_key(ec.SECP256R1())
        _write_atomic(self.key_path, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()), 0o600)
        log.info("created the hub's LAN key %s", self.key_path)
        return key

    def csr(self, hub_id: str, addresses: list[str]) -> str:
        """A CSR for the hub's names, signed with its key (the key itself stays here)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import NameOID

        dns, ips = wanted_names(hub_id, addresses)
        san: list[x509.GeneralName] = [x509.DNSName(n) for n in dns]
        san += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
        request = (x509.CertificateSigningRequestBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[0])]))
                   .add_extension(x509.SubjectAlternativeName(san), critical=False)
                   .sign(self._key(), hashes.SHA256()))
        return request.public_bytes(serialization.Encoding.PEM).decode()

    # -- installing ------------------------------------------------------------------------
    def install(self, cert_pem: object, ca_pem: object) -> CertFacts:
        """Check what central sent against our key and its bundle, then swap it in."""
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        if not isinstance(cert_pem, str) or not isinstance(ca_pem, str) \
                or len(cert_pem) + len(ca_pem) > MAX_PEM:
            raise CertificateRejected("certificate and ca_bundle must be PEM strings")
        try:
            facts = facts_of(cert_pem.encode(), ca_pem.encode())
            cert = x509.load_pem_x509_certificate(cert_pem.encode())
            issuers = x509.load_pem_x509_certificates(ca_pem.encode())
        except ValueError as exc:
            raise CertificateRejected(f"unreadable PEM: {exc}") from None
        own = self._key().public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        theirs = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if own != theirs:
            raise CertificateRejected("the certificate is not for this hub's key")
        if not any(_signed_by(cert, ca) for ca in issuers):
            raise CertificateRejected("the certificate is not signed by a CA in the bundle")
        _write_atomic(self.ca_path, ca_pem.encode(), 0o644)
        _write_atomic(self.cert_path, cert_pem.encode(), 0o644)
        self.facts, self.load_error = facts, ""
        if self.context is None:
            self.context = self._new_context()
        else:
            # New handshakes use the new pair; connections already open keep theirs.
            self.context.load_cert_chain(self.cert_path, self.key_path)
        return facts

    def _new_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def facts_of(cert_pem: bytes, ca_pem: bytes) -> CertFacts:
    """The parts of a certificate the renewal and health decisions need."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(cert_pem)
    first_ca = x509.load_pem_x509_certificate(ca_pem)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(a) for a in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    return CertFacts(cert.not_valid_before_utc, cert.not_valid_after_utc, dns, ips,
                     first_ca.fingerprint(hashes.SHA256()).hex())

"""HQ's CA in the database: created once, rotated on demand, its key sealed at rest.

The database (not a file) holds it so every central process behind the load balancer
signs with the same CA; CENTRAL_PKI_KEY (the environment, never the database) opens it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Connection, Engine, Row, insert, select, update

from central.core import pki
from central.store.schema import pki_authorities, pki_certificates

_FINGERPRINT_TTL = 60.0


class PkiStore:
    """The active authority, the trust bundle and the ledger of issued certificates."""

    def __init__(self, engine: Engine, passphrase: str, domain: str = "") -> None:
        self.engine = engine
        self.passphrase = passphrase
        self.domain = domain
        self._cached: tuple[float, str | None] | None = None

    def ensure_authority(self, now: datetime) -> str:
        """The active CA's fingerprint, creating the CA on first run.

        Two processes starting on an empty database at the same instant may each create one;
        the newest is the active one everywhere (every read orders by id) and the other only
        sits in the bundle, trusted and unused — harmless, so no lock is taken for it.
        """
        current = self._active_row()
        if current is not None:
            pki.open_authority(current.cert_pem.encode(), current.sealed_key.encode(),
                               self.passphrase)         # a wrong CENTRAL_PKI_KEY fails at start
            return str(current.fingerprint)
        return self._create(now)

    def rotate(self, now: datetime) -> str:
        """A new active CA; the old one retires but stays in the bundle until it expires."""
        return self._create(now, rotate=True)

    def rekey(self, new_passphrase: str) -> int:
        """Seal every stored CA key with a new passphrase; returns how many were resealed."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(pki_authorities)).all()
            for row in rows:
                authority = pki.open_authority(row.cert_pem.encode(), row.sealed_key.encode(),
                                               self.passphrase)
                conn.execute(update(pki_authorities).where(pki_authorities.c.id == row.id)
                             .values(sealed_key=pki.seal_key(authority, new_passphrase).decode()))
        self.passphrase = new_passphrase
        return len(rows)

    def _create(self, now: datetime, rotate: bool = False) -> str:
        """Insert a new CA (retiring the active ones when rotating) in one transaction."""
        authority = pki.create_authority(f"Outlet Hub LAN CA {now:%Y-%m-%d}", now)
        fingerprint = pki.fingerprint(authority.cert_pem)
        cert = authority.certificate
        with self.engine.begin() as conn:
            if rotate:
                conn.execute(update(pki_authorities).where(pki_authorities.c.retired_at.is_(None))
                             .values(retired_at=now.timestamp()))
            else:
                existing = self._active_row(conn)
                if existing is not None:
                    return str(existing.fingerprint)
            conn.execute(insert(pki_authorities).values(
                fingerprint=fingerprint, cert_pem=authority.cert_pem.decode(),
                sealed_key=pki.seal_key(authority, self.passphrase).decode(),
                created_at=now.timestamp(),
                not_after=cert.not_valid_after_utc.timestamp()))
        return fingerprint

    def _active_row(self, conn: Connection | None = None) -> Row[Any] | None:
        query = (select(pki_authorities).where(pki_authorities.c.retired_at.is_(None))
                 .order_by(pki_authorities.c.id.desc()).limit(1))
        if conn is not None:
            return conn.execute(query).first()
        with self.engine.connect() as c:
            return c.execute(query).first()

    def active_fingerprint(self, at: float) -> str | None:
        """The active CA's fingerprint, read at most once a minute (every heartbeat asks;
        a rotation by another process reaches the hubs within that minute)."""
        if self._cached is None or at - self._cached[0] > _FINGERPRINT_TTL:
            row = self._active_row()
            self._cached = (at, None if row is None else str(row.fingerprint))
        return self._cached[1]

    def bundle(self, now: datetime) -> bytes:
        """Every CA certificate a device should trust now: the active one first, then the
        retired ones that have not expired (their hub certificates are still out there)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(pki_authorities.c.cert_pem, pki_authorities.c.not_after)
                                .order_by(pki_authorities.c.retired_at.is_not(None),
                                          pki_authorities.c.id.desc())).all()
        return b"".join(r.cert_pem.encode() for r in rows if r.not_after > now.timestamp())

    def issue(self, hub_id: str, csr_pem: object, now: datetime) -> tuple[bytes, bytes]:
        """(certificate PEM, CA bundle PEM) for the hub's CSR, recorded in the ledger."""
        csr = pki.parse_csr(csr_pem)
        row = self._active_row()
        if row is None:
            raise LookupError("no active CA")
        authority = pki.open_authority(row.cert_pem.encode(), row.sealed_key.encode(),
                                       self.passphrase)
        cert = pki.issue(authority, csr, hub_id, now, self.domain)
        names = [str(n.value) for n in
                 cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value]
        with self.engine.begin() as conn:
            conn.execute(insert(pki_certificates).values(
                serial=format(cert.serial_number, "x")[:40], hub_id=hub_id,
                authority_fingerprint=row.fingerprint,
                names=names, issued_at=now.timestamp(),
                not_after=cert.not_valid_after_utc.timestamp()))
        return cert.public_bytes(Encoding.PEM), self.bundle(now)

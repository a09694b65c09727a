"""When the hub renews its LAN certificate, what it asks for, and what its state means.

No I/O: the adapter (hub/lan_tls.py) reads the certificate into `CertFacts` and tells
these functions the time. Decision 1001 gives the numbers: 30-day certificates renewed at
2/3 of their life, so a hub that lost its internet has 10 days before browsers refuse
it, and says so (state `expiring`) from the moment renewal is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from outlet_protocol.tls_names import MAX_ADDRESSES, certifiable_address, mdns_name

RENEW_AT = 2 / 3
# An hour after a failed or useless renewal before asking again (central answered, but
# what it issued is already due by our clock: the clocks disagree, retrying cannot help).
RETRY_SECONDS = 3600.0


@dataclass(frozen=True)
class CertFacts:
    """What the hub's certificate says, read once by the adapter."""

    not_before: datetime
    not_after: datetime
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    ca_fingerprint: str             # SHA-256 of the CA certificate it was issued under

    @property
    def names(self) -> tuple[str, ...]:
        return self.dns_names + self.ip_addresses

    def renew_from(self) -> datetime:
        """The moment renewal is due: 2/3 of the way from not_before to not_after."""
        return self.not_before + (self.not_after - self.not_before) * RENEW_AT


def wanted_names(hub_id: str, addresses: list[str]) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) the hub asks for: its mDNS name and its LAN addresses."""
    ips = [a for a in dict.fromkeys(addresses) if certifiable_address(a)]
    return [mdns_name(hub_id)], ips[:MAX_ADDRESSES]


def renewal_reason(facts: CertFacts | None, now: datetime, hub_id: str, addresses: list[str],
                   central_ca: str | None) -> str | None:
    """Why the hub should send a CSR now, or None. Only when central runs a CA (`central_ca`)."""
    if not central_ca:
        return None
    if facts is None:
        return "no certificate yet"
    if now >= facts.renew_from():
        return f"renewal due since {facts.renew_from():%Y-%m-%d %H:%M}Z"
    if facts.ca_fingerprint != central_ca:
        return "central rotated its CA"
    dns, ips = wanted_names(hub_id, addresses)
    missing = (set(dns) - set(facts.dns_names)) | (set(ips) - set(facts.ip_addresses))
    if missing:
        return f"names changed: {', '.join(sorted(missing))} not in the certificate"
    return None


def certificate_state(facts: CertFacts | None, now: datetime) -> tuple[str, str]:
    """(state, reason for /health): none | ok | expiring (renewal overdue) | expired."""
    if facts is None:
        return "none", ""
    if now >= facts.not_after:
        return "expired", (f"LAN certificate expired {facts.not_after:%Y-%m-%d %H:%M}Z; "
                           "browsers refuse https until central renews it")
    if now >= facts.renew_from():
        days = (facts.not_after - now).total_seconds() / 86400
        return "expiring", (f"LAN certificate expires in {days:.1f} days "
                            f"({facts.not_after:%Y-%m-%d %H:%M}Z) and is not renewed yet; "
                            "reconnect the hub to central")
    return "ok", ""


def https_redirect(method: str, path: str, host: str, upgrade: bool, state: str,
                   names: tuple[str, ...], https_port: int) -> str | None:
    """The https:// address a browser opening one of our apps over plain HTTP goes to.

    Only page loads of the apps (never the API, WebSocket, /ca.pem or devices' calls), only
    while the certificate is valid, and only under a name it covers — else the browser
    would land on a certificate error instead of a working plain page.
    """
    if method not in ("GET", "HEAD") or upgrade or state not in ("ok", "expiring"):
        return None
    first = path.split("?", 1)[0].split("/", 2)[1] if path.startswith("/") else "-"
    if first not in ("", "kiosk", "kitchen", "board", "status"):
        return None
    name = host_only(host)
    if name not in names:
        return None
    shown = f"[{name}]" if ":" in name else name
    return f"https://{shown}:{https_port}{path}"


def host_only(host: str) -> str:
    """The name or address of a Host header, without port or brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    return host.rstrip(".")

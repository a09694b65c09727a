"""hub/core/lan_tls.py without I/O: when to renew, what to ask for, what the state means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.core.lan_tls import CertFacts, certificate_state, https_redirect, renewal_reason

T0 = datetime(2026, 12, 1, tzinfo=UTC)
CA = "ab" * 32


def facts(days: int = 30, dns: tuple[str, ...] = ("hub-grill.local",),
          ips: tuple[str, ...] = ("192.168.1.10",), ca: str = CA) -> CertFacts:
    return CertFacts(T0, T0 + timedelta(days=days), dns, ips, ca)


def reason(f: CertFacts | None, at: datetime, addresses: list[str] | None = None,
           central_ca: str | None = CA) -> str | None:
    return renewal_reason(f, at, "hub-grill", addresses or ["192.168.1.10"], central_ca)


def test_no_request_when_central_runs_no_ca() -> None:
    assert reason(None, T0, central_ca=None) is None
    assert reason(facts(), T0 + timedelta(days=29), central_ca=None) is None


def test_first_certificate_is_asked_for_at_enrollment() -> None:
    assert reason(None, T0) == "no certificate yet"


def test_renewal_is_due_at_two_thirds_of_the_life_not_before() -> None:
    assert reason(facts(), T0 + timedelta(days=19, hours=23)) is None
    assert (reason(facts(), T0 + timedelta(days=20)) or "").startswith("renewal due since")


def test_rotated_ca_and_new_address_trigger_renewal_early() -> None:
    assert reason(facts(), T0 + timedelta(days=1), central_ca="cd" * 32) == \
        "central rotated its CA"
    assert "192.168.1.11" in (reason(facts(), T0 + timedelta(days=1), ["192.168.1.11"]) or "")
    # A public address is never asked for, so it never makes the certificate look stale.
    assert reason(facts(), T0 + timedelta(days=1), ["192.168.1.10", "8.8.8.8"]) is None


def test_state_is_ok_then_expiring_once_renewal_is_overdue_then_expired() -> None:
    assert certificate_state(None, T0) == ("none", "")
    assert certificate_state(facts(), T0 + timedelta(days=19)) == ("ok", "")
    state, why = certificate_state(facts(), T0 + timedelta(days=25))
    assert state == "expiring" and "expires in 5.0 days" in why
    state, why = certificate_state(facts(), T0 + timedelta(days=30))
    assert state == "expired" and "expired 2026-12-31" in why


NAMES = ("hub-grill.local", "192.168.1.10")


def redirect(path: str, host: str = "hub-grill.local:3001", method: str = "GET",
             upgrade: bool = False, state: str = "ok") -> str | None:
    return https_redirect(method, path, host, upgrade, state, NAMES, 3443)


def test_app_pages_redirect_to_https_under_the_same_name() -> None:
    assert redirect("/kiosk/?table=4") == "https://hub-grill.local:3443/kiosk/?table=4"
    assert redirect("/kitchen/", host="192.168.1.10:3001") == "https://192.168.1.10:3443/kitchen/"
    assert redirect("/") == "https://hub-grill.local:3443/"
    assert redirect("/status/", state="expiring") is not None


def test_api_sockets_writes_devices_and_bad_names_stay_on_plain_http() -> None:
    assert redirect("/api/status") is None
    assert redirect("/ws", upgrade=True) is None
    assert redirect("/", upgrade=True) is None
    assert redirect("/ca.pem") is None
    assert redirect("/sw.js") is None
    assert redirect("/kiosk/", method="POST") is None
    assert redirect("/kiosk/", host="10.9.9.9:3001") is None       # not in the certificate
    assert redirect("/kiosk/", state="expired") is None

"""Central as an operator runs it: /metrics behind a token, behind nginx, admin created safely."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from central.core.proxies import client_address, parse_networks
from tests.central.conftest import start_central
from tests.support.processes import http_json

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


def get_metrics(base: str, token: str | None) -> int:
    request = urllib.request.Request(base + "/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # loopback only
            body = resp.read().decode()
            assert "outlet_central_" in body
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_metrics_need_the_configured_bearer_token(database_url: str, tmp_path: Path) -> None:
    proc = start_central(tmp_path, database_url, CENTRAL_METRICS_TOKEN=METRICS_TOKEN)
    try:
        assert get_metrics(proc.base, None) == 401
        assert get_metrics(proc.base, METRICS_TOKEN + "x") == 401
        assert get_metrics(proc.base, METRICS_TOKEN[:-1]) == 401
        assert get_metrics(proc.base, METRICS_TOKEN) == 200
        assert METRICS_TOKEN not in proc.log()
    finally:
        proc.kill()


def test_a_short_metrics_token_is_refused_at_start(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "central", "run"], capture_output=True, text=True,
                         env={"CENTRAL_METRICS_TOKEN": "short", "PATH": "/usr/bin:/bin",
                              "CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"},
                         timeout=60, check=False)
    assert out.returncode == 2 and "CENTRAL_METRICS_TOKEN" in out.stderr


def bad_login(base: str, forwarded_for: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return http_json(base + "/api/auth/login", "POST", {"username": "a", "password": "b"},
                     headers)[0]


def test_behind_a_trusted_proxy_the_throttle_counts_each_client(database_url: str,
                                                                 tmp_path: Path) -> None:
    proc = start_central(tmp_path, database_url, CENTRAL_AUTH_FAILURE_LIMIT="3",
                         CENTRAL_TRUSTED_PROXIES="127.0.0.0/8, ::1")
    try:
        attacker = "198.51.100.7"
        codes = [bad_login(proc.base, f"{attacker}") for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        # Another client behind the same proxy is not locked out with the attacker...
        assert bad_login(proc.base, "198.51.100.8") == 401
        # ...and the attacker cannot escape by prepending a made-up hop: nginx appends the
        # real peer, which is the address counted.
        assert bad_login(proc.base, f"203.0.113.1, {attacker}") == 429
        assert attacker in proc.log()  # the access log names the client, not the proxy
    finally:
        proc.kill()


def test_without_trusted_proxies_forwarded_for_is_ignored(database_url: str,
                                                         tmp_path: Path) -> None:
    proc = start_central(tmp_path, database_url, CENTRAL_AUTH_FAILURE_LIMIT="3")
    try:
        codes = [bad_login(proc.base, f"198.51.100.{n}") for n in range(4)]
        assert codes == [401, 401, 401, 429]
    finally:
        proc.kill()


@pytest.mark.parametrize("peer,header,expected", [
    ("10.0.0.5", "198.51.100.1", "10.0.0.5"),                 # peer is no proxy
    ("127.0.0.1", None, "127.0.0.1"),                         # proxy, no header
    ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
    ("127.0.0.1", "1.2.3.4, 198.51.100.1", "198.51.100.1"),   # spoofed left hop ignored
    ("127.0.0.1", "198.51.100.1, 127.0.0.2", "198.51.100.1"),  # chain of trusted proxies
    ("127.0.0.1", "not-an-ip", "127.0.0.1"),
    ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
])
def test_client_address(peer: str, header: str | None, expected: str) -> None:
    assert client_address(peer, header, parse_networks("127.0.0.0/8")) == expected


def test_parse_networks_names_the_bad_entry() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/33"):
        parse_networks("127.0.0.1, 10.0.0.0/33")


def _login(base: str, password: str) -> int:
    return http_json(base + "/api/auth/login", "POST",
                     {"username": "ops", "password": password})[0]


def test_create_admin_reads_stdin_and_warns_about_password_flag(database_url: str,
                                                               tmp_path: Path) -> None:
    proc = start_central(tmp_path, database_url)
    try:
        base = [sys.executable, "-m", "central", "create-admin", "--username", "ops"]
        piped = subprocess.run(base, input="from stdin 1\nignored\n", env=proc.env,
                               capture_output=True, text=True, timeout=60, check=True)
        assert "created" in piped.stdout and "warning" not in piped.stderr
        assert _login(proc.base, "from stdin 1") == 200
        flagged = subprocess.run([*base, "--password", "flag pw 2"], env=proc.env,
                                 capture_output=True, text=True, timeout=60, check=True)
        assert "warning" in flagged.stderr and "--password" in flagged.stderr
        assert _login(proc.base, "flag pw 2") == 200
        empty = subprocess.run(base, input="\n", env=proc.env, capture_output=True,
                               text=True, timeout=60, check=False)
        assert empty.returncode == 2
        assert _login(proc.base, "flag pw 2") == 200
    finally:
        proc.kill()

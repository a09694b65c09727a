"""`central_ca_file`: the hub trusts HQ's certificate alone, and says so when misconfigured."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.central_tls import central_ssl_context
from hub.config import ConfigError, load
from tests.support.hq_proxy import self_signed


def test_pinned_context_trusts_only_the_hq_certificate(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path, "hq.test", ["127.0.0.1"])
    cfg = load(environ={"HUB_CENTRAL_URL": "https://hq.test", "HUB_CENTRAL_CA_FILE": str(cert)})
    pinned = central_ssl_context(cfg).get_ca_certs()
    assert [dict(c["subject"][0])["commonName"] for c in pinned] == ["hq.test"]


@pytest.mark.parametrize("env,problem", [
    ({"HUB_CENTRAL_URL": "http://hq.test"}, "only with an https://"),
    ({"HUB_CENTRAL_URL": "https://hq.test"}, "is not a file"),
])
def test_bad_central_ca_file_is_named(tmp_path: Path, env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load(environ=env | {"HUB_CENTRAL_CA_FILE": str(tmp_path / "missing.pem")})

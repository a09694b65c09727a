"""`outlet-hub backup --upload`: the newest backup reaches central's disk, bounded and per hub."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.central.conftest import start_central
from tests.integration.conftest import eventually, hub_health
from tests.support.processes import Hub, Process, http_json

LIMIT = 4 * 1024 * 1024


def put(url: str, body: bytes | Iterator[bytes], token: str | None) -> int:
    """PUT with Content-Length (bytes) or chunked without a length (an iterator)."""
    headers = {"Content-Type": "application/octet-stream"}
    if not isinstance(body, bytes):
        headers["Transfer-Encoding"] = "chunked"
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=20) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def backup(hub: Hub, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", "backup", "--dest", str(dest), "--upload"],
                          env=hub.env, capture_output=True, text=True, timeout=60, check=True)


def test_backup_upload_lands_on_central_bounded_and_kept_per_hub(
        tmp_path: Path, procs: list[Process], hub_factory: Callable[..., Hub]) -> None:
    stored = tmp_path / "hq-backups"
    central = start_central(tmp_path / "central", f"sqlite:///{tmp_path / 'central.db'}",
                            CENTRAL_HUB_BACKUP_DIR=str(stored), CENTRAL_HUB_BACKUP_KEEP="2",
                            CENTRAL_HUB_BACKUP_MAX_BYTES=str(LIMIT))
    procs.append(central)
    admin = central.admin_token()
    _, outlet = http_json(f"{central.base}/api/tenants/outlets/", "POST", {"name": "Stall"},
                          {"Authorization": f"Bearer {admin}"})
    _, enrollment = http_json(f"{central.base}/api/outlets/{outlet['id']}/enrollment-tokens",
                              "POST", None, {"Authorization": f"Bearer {admin}"})
    hub = hub_factory(outlet_id=outlet["id"], env={
        "HUB_CENTRAL_URL": central.base, "HUB_ENROLLMENT_TOKEN": enrollment["token"]})
    eventually(lambda: hub_health(hub)["central"] == "ok")
    token = (hub.data_dir / "hub_token").read_text().strip()

    local = tmp_path / "local"
    done = backup(hub, local)
    assert "uploaded to central as hub-" in done.stdout, done.stderr
    (newest,) = sorted(local.glob("hub-*.sqlite"))
    (at_hq,) = sorted((stored / "hub-test").glob("hub-*.sqlite"))
    assert at_hq.read_bytes() == newest.read_bytes()

    backup(hub, local)
    backup(hub, local)
    assert len(list((stored / "hub-test").glob("hub-*.sqlite"))) == 2   # CENTRAL_HUB_BACKUP_KEEP

    url = f"{central.base}/api/hubs/backup"
    sqlite_like = b"SQLite format 3\x00" + b"\x00" * 100
    assert put(url, sqlite_like, None) == 401
    assert put(url, b"not a database" * 10, token) == 400
    assert put(url, sqlite_like + b"\x00" * LIMIT, token) == 413
    # Without a Content-Length the bound holds while streaming.
    assert put(url, iter([sqlite_like] + [b"\x00" * 65536] * (LIMIT // 65536 + 1)), token) == 413
    assert sorted(p.name for p in (stored / "hub-test").iterdir()) == \
        sorted(p.name for p in (stored / "hub-test").glob("hub-*.sqlite"))   # no parts left

    # Central down: the local backup still happens and the command says why nothing went up.
    central.kill()
    done = backup(hub, local)
    assert "warning: central did not take the backup" in done.stderr
    assert len(list(local.glob("hub-*.sqlite"))) == 4

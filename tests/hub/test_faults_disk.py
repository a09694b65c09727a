"""The hub's own disk in trouble: full, the database file read-only, and SQLite busy
because another process holds a write lock.

The disk is a tmpfs of 8 MiB mounted over the hub's data dir inside a private mount
namespace (`unshare -m`), so nothing touches the machine's real disks; the hub is started
inside that namespace and the filler file is written and removed there with `nsenter`.
The read-only file is a read-only bind mount over it, in the same kind of namespace.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.fake_central import FakeCentral
from tests.support.faults import (
    RECOVERY_SECONDS,
    assert_exactly_once_at_central,
    eventually,
    health,
    healthy_again,
    reason_with,
    restarted_tasks,
    restarts,
)
from tests.support.processes import Hub, http_json, wait_for_http
from tests.support.wsclient import WsClient, make_order


@pytest.fixture
def central() -> Iterator[FakeCentral]:
    fake = FakeCentral()
    fake.start()
    yield fake
    fake.stop()


def in_namespace(hub: Hub, script: str) -> subprocess.CompletedProcess[str]:
    """Run a shell command inside the hub's mount namespace (where its tmpfs is)."""
    assert hub.proc is not None
    return subprocess.run(["nsenter", "-t", str(hub.proc.pid), "-m", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60, check=False)


def post(hub: Hub, order: dict[str, Any]) -> tuple[int, Any]:
    # Longer than SQLite's 10 s busy timeout: a write waiting for a lock is slow, not lost.
    return http_json(f"{hub.base}/api/orders", "POST", order, timeout=20)


async def kitchen_replay(hub: Hub) -> list[str]:
    """A kitchen connecting now: the uuids it is shown (replay reads the database)."""
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", since_rev=0)
    try:
        await kitchen.wait_for(lambda m: m["type"] == "replay_done")
        return [m["payload"]["uuid"] for m in kitchen.of_type("new_order")]
    finally:
        await kitchen.close()


def test_disk_full_refuses_writes_unacked_keeps_reads_and_recovers_without_restart(
        central: FakeCentral, hub_factory: Callable[..., Hub]) -> None:
    """Disk full while orders arrive: every write is either acked and durable or refused with
    `unavailable` (and not stored); kitchens and reads keep working; /health is 503 with the
    reason; when space returns, the same hub process takes orders again and the outbox and
    the online-order channel resume by themselves — nothing lost, nothing twice."""
    hub = hub_factory(start=False, env={
        "HUB_CENTRAL_URL": central.url, "HUB_ENROLLMENT_TOKEN": "fake-enrollment",
        "HUB_HEARTBEAT_SECONDS": "0.5", "HUB_CENTRAL_TIMEOUT_SECONDS": "1"})
    hub.data_dir.mkdir(parents=True)
    hub.argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                f"mount -t tmpfs -o size=8m hubdisk {hub.data_dir} && exec \"$0\" \"$@\"",
                sys.executable, "-m", "hub", "run"]
    hub.start()
    pid = hub.proc.pid if hub.proc else 0
    acked: list[str] = []
    for i in range(5):
        order = make_order(f"D-{i}")
        assert post(hub, order)[0] == 201
        acked.append(order["uuid"])
    eventually(lambda: set(acked) <= set(central.orders), "synced before the fault")

    filled = in_namespace(hub, f"dd if=/dev/zero of={hub.data_dir}/filler bs=64k; sync; "
                               f"df -k {hub.data_dir}")
    assert "No space left" in filled.stderr, filled.stderr
    refused: list[dict[str, Any]] = []
    for i in range(40):                          # orders keep arriving while the disk is full
        order = make_order(f"F-{i}")
        status, body = post(hub, order)
        if status == 201:
            acked.append(order["uuid"])          # it fitted: acked means stored, checked below
        else:
            assert status == 503 and body["error"]["code"] == "unavailable", (status, body)
            refused.append(order)
    assert refused, "the full disk never refused a write: the fault was not exercised"
    body = eventually(lambda: (h := health(hub))["status"] == "down" and h, "/health says down")
    assert "database cannot commit" in body["reasons"]
    status, _ = http_json(f"{hub.ops}/health")
    assert status == 503
    online = make_order("WEB-1", uuid=str(uuidlib.uuid4()), source="online")
    central.add_online_order(online)
    # Either /health says the online order waits, or it fitted after all (SQLite reuses the
    # WAL's blocks once a checkpoint rewinds it, so a small write can succeed on a full
    # disk): never lost, never silent. The channel may be in its backoff (up to 36 s) after
    # a loaded start, hence the hub's own recovery bound.
    def online_waits_or_stored() -> str | None:
        if http_json(f"{hub.base}/api/orders/{online['uuid']}")[0] == 200:
            return "stored"
        return reason_with(hub, "online orders", "cannot store")

    outcome = eventually(online_waits_or_stored, "/health says the online order waits",
                         RECOVERY_SECONDS)
    stored_now = set(acked) | ({online["uuid"]} if outcome == "stored" else set())

    # Reads and kitchens keep working on a full disk.
    status, rows = http_json(f"{hub.base}/api/orders?since_id=0&limit=1000")
    assert status == 200 and {r["uuid"] for r in rows} == stored_now
    assert set(asyncio.run(kitchen_replay(hub))) == stored_now
    for order in refused:                        # refused means not stored
        assert http_json(f"{hub.base}/api/orders/{order['uuid']}")[0] == 404

    freed = in_namespace(hub, f"rm {hub.data_dir}/filler")
    assert freed.returncode == 0, freed.stderr
    for order in refused:                        # the clients retry with the same uuid
        eventually(lambda o=order: post(hub, o)[0] in (200, 201), "writes accepted again",
                   timeout=30)
        acked.append(order["uuid"])
    assert hub.proc is not None and hub.proc.pid == pid and hub.alive, "no restart needed"
    eventually(lambda: http_json(f"{hub.base}/api/orders/{online['uuid']}")[0] == 200,
               "the online order reaches the hub by itself")
    # The hub forwards every order it stores, the online one too (real central: duplicate).
    assert_exactly_once_at_central(central, [*acked, online["uuid"]])
    healthy_again(hub, "/health ok again", timeout=40)
    _, rows = http_json(f"{hub.base}/api/orders?since_id=0&limit=1000")
    uuids = [r["uuid"] for r in rows]
    assert sorted(uuids) == sorted([*acked, online["uuid"]]), "each order exactly once"


def test_database_file_read_only_then_writable_again_takes_orders_without_restart(
        central: FakeCentral, hub_factory: Callable[..., Hub]) -> None:
    """The database file becomes read-only (a read-only bind mount over it). The running hub
    keeps the descriptors it opened, which stay writable, so its acks stay true; a hub that
    opens the file meanwhile (here: after a power cut) gets a read-only descriptor. Then
    writes are refused with `unavailable` (never acked), reads and kitchens keep working and
    /health is 503 naming the cause; once the file is writable again the same process takes
    orders — SQLite keeps a read-only descriptor for ever, so the writer must reopen."""
    hub = hub_factory(start=False, env={
        "HUB_CENTRAL_URL": central.url, "HUB_ENROLLMENT_TOKEN": "fake-enrollment",
        "HUB_HEARTBEAT_SECONDS": "0.3", "HUB_CENTRAL_TIMEOUT_SECONDS": "2"})
    db = hub.data_dir / "hub.sqlite3"
    namespaced = ["unshare", "-m", "--propagation", "private", "sh", "-c"]
    hub.argv = [*namespaced, 'exec "$0" "$@"', sys.executable, "-m", "hub", "run"]
    hub.start()
    acked: list[str] = []
    for i in range(3):
        order = make_order(f"R-{i}")
        assert post(hub, order)[0] == 201
        acked.append(order["uuid"])
    made_ro = in_namespace(hub, f"mount -o bind,ro {db} {db}")
    assert made_ro.returncode == 0, made_ro.stderr
    order = make_order("R-3")                    # descriptors opened before stay writable
    assert post(hub, order)[0] == 201
    acked.append(order["uuid"])

    hub.kill()                                   # power cut; the file is still read-only
    hub.argv = [*namespaced, f'mount -o bind,ro {db} {db} && exec "$0" "$@"',
                sys.executable, "-m", "hub", "run"]
    # Up means /health answers: 503 as soon as a write (an enrolled hub's first heartbeat
    # bookkeeping) has failed on the read-only file, 200 if it has not yet.
    hub.start(wait=False)
    wait_for_http(f"{hub.ops}/health", timeout=30, ok=(200, 503))
    pid = hub.proc.pid if hub.proc else 0
    refused: list[dict[str, Any]] = []
    for i in range(5):
        order = make_order(f"RO-{i}")
        status, body = post(hub, order)
        assert status == 503 and body["error"]["code"] == "unavailable", (status, body)
        refused.append(order)
    body = health(hub)
    assert body["status"] == "down" and "database cannot commit" in body["reasons"], body
    assert any("readonly" in r for r in body["reasons"]), body["reasons"]
    assert http_json(f"{hub.ops}/health")[0] == 503
    # HQ changes the outlet's settings meanwhile: the hub cannot cache them, and its
    # heartbeat loop must ride that out (not die and restart) and take them afterwards.
    central.outlet = {"locale": "en-US", "currency": "USD", "day_starts_at": "05:00"}
    beats = central.heartbeats
    eventually(lambda: central.heartbeats >= beats + 3, "heartbeats answered meanwhile")
    assert http_json(f"{hub.base}/api/outlet")[1]["locale"] != "en-US", "cached read-only?"

    status, rows = http_json(f"{hub.base}/api/orders?since_id=0&limit=1000")
    assert status == 200 and sorted(r["uuid"] for r in rows) == sorted(acked)
    assert sorted(asyncio.run(kitchen_replay(hub))) == sorted(acked)
    for order in refused:                        # refused means not stored
        assert http_json(f"{hub.base}/api/orders/{order['uuid']}")[0] == 404

    writable = in_namespace(hub, f"mount -o remount,bind,rw {db}")
    assert writable.returncode == 0, writable.stderr
    for order in refused:                        # the tills retry with the same uuid
        status, _ = post(hub, order)
        assert status == 201, status              # the first write after the fault succeeds
        acked.append(order["uuid"])
    assert hub.proc is not None and hub.proc.pid == pid and hub.alive, "no restart needed"
    healthy_again(hub, "/health ok again")
    _, rows = http_json(f"{hub.base}/api/orders?since_id=0&limit=1000")
    assert sorted(r["uuid"] for r in rows) == sorted(acked), "each order exactly once"
    outlet = eventually(lambda: (o := http_json(f"{hub.base}/api/outlet")[1])["locale"] == "en-US"
                        and o, "the settings taken once the file is writable")
    assert (outlet["currency"], outlet["day_starts_at"]) == ("USD", "05:00")
    assert restarts(hub) == 0, ("a loop died on the read-only file instead of riding it out",
                                restarted_tasks(hub))


def test_sqlite_busy_for_5_s_delays_writes_but_loses_nothing(
        hub_factory: Callable[..., Hub]) -> None:
    """Another process holds SQLite's write lock for 5 s: orders sent meanwhile are answered
    late (within the 10 s busy timeout) or `unavailable` — never acked and lost — and the hub
    takes orders normally as soon as the lock is gone."""
    hub = hub_factory()
    assert post(hub, make_order("B-0"))[0] == 201
    locker = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(hub.data_dir / 'hub.sqlite3')!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE'); print('locked', time.monotonic(), flush=True)\n"
        "time.sleep(5); c.execute('COMMIT')\n")], stdout=subprocess.PIPE, text=True)
    assert locker.stdout is not None
    said, at_lock = locker.stdout.readline().split()
    # The child's clock reading (CLOCK_MONOTONIC is one clock for every process here), not
    # ours after reading its line: this process may run late on a busy host.
    assert said == "locked"
    held_from = float(at_lock)
    answers: list[tuple[dict[str, Any], int, float]] = []
    for i in range(3):
        order = make_order(f"B-{i + 1}")
        status, _ = post(hub, order)
        answers.append((order, status, time.monotonic() - held_from))
    locker.wait(15)
    for order, status, _at in answers:
        assert status in (201, 503), status
        if status == 503:
            eventually(lambda o=order: post(hub, o)[0] in (200, 201), "retry accepted")
    assert any(at >= 4.5 for _o, status, at in answers if status == 201), \
        "writes waited for the lock instead of failing at once"
    _, rows = http_json(f"{hub.base}/api/orders?since_id=0&limit=100")
    assert sorted(r["order_number"] for r in rows) == ["B-0", "B-1", "B-2", "B-3"]
    assert health(hub)["status"] == "ok"

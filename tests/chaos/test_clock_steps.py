"""The wall clock steps back an hour, then forward a day, under a running hub (issue 13).

The hub runs under libfaketime (LD_PRELOAD) with its offset read from a file on every
call, so the step happens to the real process at run time, as NTP would do it; the
monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC), as a real step leaves it.
The sink that lags is central (killed, then back), not MQTT: libfaketime 0.9.10 with a
real monotonic clock makes `time.sleep` fail with EINVAL, which kills paho's network
thread on its first reconnect wait — an artefact of the tool, not of a clock step.

Proves: order ids and revs keep increasing across both steps; the token-bucket rate
limiter still admits a burst after the back step; the 2-second backlog timer keeps
running (it reports new unsynced orders after each step); heartbeats keep the hub online
at central across the back step; the central outbox delivers everything afterwards, once
each; and retention, run at a restart after the step, deletes nothing that a sink
(central) has not confirmed and nothing younger than the retention window — while it
does delete confirmed orders once they are really past the window (so it is not off).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.central.conftest import CentralUnderTest
from tests.integration.conftest import outlet
from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def _pending(hub: Hub) -> int:
    return int(http_json(f"{hub.ops}/health")[1]["outbox_pending"])


def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


def _hub_clock_offset(hub: Hub) -> float:
    """Seconds the hub's wall clock is ahead of ours (its /health timestamp)."""
    stamp = http_json(f"{hub.ops}/health")[1]["timestamp"]
    return (datetime.fromisoformat(stamp.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()


def _retention_passes(hub: Hub) -> int:
    """Retention passes so far, from the hub's log (it logs every pass, even an empty one)."""
    return hub.log().count("retention: removed ")


def _stored(hub: Hub) -> dict[str, dict[str, Any]]:
    status, rows = http_json(f"{hub.base}/api/orders?since_id=0&limit=1000")
    assert status == 200
    return {r["uuid"]: r for r in rows}


async def _burst(pos: WsClient, prefix: str, n: int, outlet_id: int) -> list[dict[str, Any]]:
    """n orders sent back to back (no pause: the rate limiter must admit them)."""
    orders = [make_order(f"{prefix}-{i}", 1, outlet_id=outlet_id) for i in range(n)]
    ids = [await pos.send("new_order", o) for o in orders]
    acks = [await pos.reply(i, timeout=15) for i in ids]
    assert all(a["type"] == "ack" for a in acks), [a for a in acks if a["type"] != "ack"][:3]
    return [a["payload"] for a in acks]


@pytest.mark.timeout(300)
async def test_wall_clock_steps_back_an_hour_and_forward_a_day(
        tmp_path: Path, hq: CentralUnderTest,
        enrolled_hub: Callable[..., tuple[Hub, int]]) -> None:
    assert LIBFAKETIME.exists(), "libfaketime missing: `make deps` installs the faketime package"
    clock = tmp_path / "faketime"
    clock.write_text("+0\n")
    hub, outlet_id = enrolled_hub(
        LD_PRELOAD=str(LIBFAKETIME), FAKETIME_TIMESTAMP_FILE=str(clock), FAKETIME_NO_CACHE="1",
        FAKETIME_DONT_FAKE_MONOTONIC="1", HUB_RETENTION_DAYS="2")
    pos = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos-clock")
    acks = await _burst(pos, "A", 40, outlet_id)
    _until(lambda: _pending(hub) == 0, 30, "the first orders reach central")
    synced = {a["uuid"] for a in acks}

    # Step back an hour: heartbeats (a monotonic timer) keep the hub online at central.
    clock.write_text("-1h\n")
    assert -3700 < _hub_clock_offset(hub) < -3500, "libfaketime did not move the hub's clock"
    # Heartbeats go on: central's own clock stamps `last_seen`, so it keeps moving. (One
    # read of `online` 5 s on raced central's 3-second offline window on a slow hour.)
    def seen() -> str:
        return str(outlet(hq, outlet_id)["hub"]["last_seen"])
    for _ in range(2):
        before = seen()
        time.sleep(3)                   # central calls a hub offline after 3 s of silence
        _until(lambda b=before: seen() > b, 20, "heartbeats go on after the back step")
    hq.proc.kill()                      # what follows stays unsynced
    acks += await _burst(pos, "B", 300, outlet_id)   # over the 200/s rate, within the burst
    _until(lambda: _pending(hub) >= 300, 20, "the backlog timer runs after the back step")

    # Step forward a day (from the true time: 25 hours from where the hub's clock was).
    clock.write_text("+1d\n")
    assert 86300 < _hub_clock_offset(hub) < 86500
    acks += await _burst(pos, "C", 40, outlet_id)
    _until(lambda: _pending(hub) >= 340, 20, "the backlog timer runs after the forward step")
    await pos.close()

    ids = [a["id"] for a in acks]
    revs = [a["rev"] for a in acks]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "ids did not keep increasing"
    assert revs == sorted(revs) and len(set(revs)) == len(revs), "revs did not keep increasing"

    # Retention runs at start-up: nothing younger than the window or unsynced is gone.
    hub.terminate()
    passes = _retention_passes(hub)
    hub.start()
    _until(lambda: _retention_passes(hub) > passes, 30, "a retention pass after the restart")
    stored = _stored(hub)
    assert set(stored) == {a["uuid"] for a in acks}, "retention removed orders after a step"

    # Two more days on: the confirmed orders are past the window and go; the unconfirmed
    # ones, just as old, stay until central has them.
    hub.terminate()
    clock.write_text("+3d\n")
    passes = _retention_passes(hub)
    hub.start()
    _until(lambda: _retention_passes(hub) > passes, 30, "a retention pass after the restart")
    stored = _stored(hub)
    assert not (synced & set(stored)), "retention never deleted confirmed old orders"
    assert set(stored) == {a["uuid"] for a in acks} - synced, "an unconfirmed order was purged"

    # Central returns: the hub delivers the rest by itself, each order once.
    hq.proc.start()
    _until(lambda: _pending(hub) == 0, 60, "the central outbox drains after the steps")
    at_central = _central_uuids(hq, outlet_id)
    assert sorted(at_central) == sorted(a["uuid"] for a in acks)


def _central_uuids(hq: CentralUnderTest, outlet_id: int) -> list[str]:
    status, body = hq.call("GET", f"/api/orders/?outlet_id={outlet_id}&limit=1000",
                           token=hq.admin)
    assert status == 200, body
    return [o["uuid"] for o in body["orders"]]

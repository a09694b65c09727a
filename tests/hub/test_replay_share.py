"""Issue 19: screens resuming from the same position share one replay read, and no commit
between two replays is ever served from a stale one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from hub.fanout import Client, Fanout
from hub.replay_share import Replay, ReplayShare
from hub.ws import Session
from outlet_protocol.feed import ClientFilter
from tests.support.processes import Hub
from tests.support.wsclient import WsClient, make_order


class _Reads:
    """A read coroutine that counts its runs and finishes when told to."""

    def __init__(self, result: Replay = (b"frames", 5)) -> None:
        self.runs = 0
        self.release = asyncio.Event()
        self.result = result

    async def __call__(self) -> Replay:
        self.runs += 1
        await self.release.wait()
        return self.result


async def test_one_read_serves_every_screen_asking_the_same_until_the_next_commit() -> None:
    share, reads = ReplayShare(), _Reads()
    waiting = [asyncio.create_task(share.get(1, "k", reads)) for _ in range(3)]
    await asyncio.sleep(0)
    waiting[0].cancel()                       # a screen that leaves cancels only its wait
    reads.release.set()
    assert [await t for t in waiting[1:]] == [(b"frames", 5)] * 2
    assert await share.get(1, "k", reads) == (b"frames", 5)     # kept for a later screen
    assert reads.runs == 1
    other = _Reads((b"other", 5))
    other.release.set()
    assert await share.get(1, "k2", other) == (b"other", 5)     # another question: its own read
    assert await share.get(2, "k", other) == (b"other", 5)      # a commit: read again
    assert other.runs == 2


async def test_a_failed_read_fails_its_waiters_and_the_next_screen_reads_again() -> None:
    share = ReplayShare()

    async def broken() -> Replay:
        raise OSError("disk")

    with pytest.raises(OSError):
        await share.get(1, "k", broken)
    reads = _Reads()
    reads.release.set()
    assert await share.get(1, "k", reads) == (b"frames", 5)


class _Ws:
    def __init__(self) -> None:
        self.closed_with: int | None = None

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        self.closed_with = code
        return True


class _Conn:
    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False


async def test_a_replay_that_cannot_be_read_closes_the_socket_instead_of_going_quiet() -> None:
    """Before: the screen got `connected`, then nothing, and believed it had caught up."""
    async def failing_read(_fn: Any) -> Any:
        raise OSError("cannot commit transaction - SQL statements in progress")

    store = SimpleNamespace(commits=0, committed_rev=7, read=failing_read)
    ctx: Any = SimpleNamespace(store=store, fanout=Fanout(), replays=ReplayShare(), flood=None)
    ws, conn = _Ws(), _Conn()
    client = Client("k1", ClientFilter("kitchen"), ws, conn, "127.0.0.1")
    session = Session(ctx, ws, client)      # type: ignore[arg-type]
    session.start_replay(3, None)
    assert session.replay_task is not None
    await session.replay_task
    await asyncio.sleep(0)
    assert ws.closed_with == 1011
    assert b"replay_done" not in conn.written
    assert not client.replaying


def _orders(client: WsClient, since: int) -> list[str]:
    return [m["payload"]["order_number"] for m in client.messages[since:]
            if m["type"] == "new_order"]


async def test_shared_replays_keep_each_filter_and_see_a_commit_made_between_them(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    pos = await WsClient.connect(hub.ws_url, client_type="pos")
    acks = [(await pos.submit(make_order(f"S-{i}", 1 + i % 2)))["payload"] for i in range(6)]
    since = acks[1]["rev"]
    screens: list[WsClient] = []
    try:
        # Four screens at once: two per stall filter, all from the same position.
        screens = list(await asyncio.gather(*(
            WsClient.connect(hub.ws_url, client_type="kitchen", client_id=f"sh-{i}",
                             tenant_id=[1 + i % 2], since_rev=since) for i in range(4))))
        for s in screens:
            await s.wait_for(lambda m: m["type"] == "replay_done")
        assert _orders(screens[0], 0) == _orders(screens[2], 0) == ["S-2", "S-4"]
        assert _orders(screens[1], 0) == _orders(screens[3], 0) == ["S-3", "S-5"]
        # A commit, then a screen asking the very same question: it must not get the old answer.
        late = (await pos.submit(make_order("S-6", 1)))["payload"]
        again = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="sh-late",
                                       tenant_id=[1], since_rev=since)
        screens.append(again)
        done = await again.wait_for(lambda m: m["type"] == "replay_done")
        assert done["payload"]["last_rev"] >= late["rev"]
        assert _orders(again, 0) == ["S-2", "S-4", "S-6"]
        # The screens that were live got it once, live; nobody saw anything twice.
        for s in (screens[0], screens[2]):
            await s.wait_for(lambda m: m["type"] == "new_order"
                             and m["payload"]["order_number"] == "S-6")
        await asyncio.sleep(0.2)             # room for a second copy to arrive, if one would
        for s in screens:
            got = _orders(s, 0)
            assert len(got) == len(set(got)), f"{s} shown twice: {got}"
        assert _orders(screens[2], 0) == ["S-2", "S-4", "S-6"]
        assert _orders(screens[1], 0) == ["S-3", "S-5"]
    finally:
        for s in [*screens, pos]:
            await s.close()

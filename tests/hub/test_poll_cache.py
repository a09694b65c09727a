"""Issue 19: a poll answer is reused only until the next commit, whatever the commit was."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from hub.cli import event_loop_factory
from hub.core.messages import dumps, dumps_bytes, parse
from hub.poll_cache import MAX_ENTRIES, PollCache
from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order


def test_an_answer_lives_for_one_commit_generation() -> None:
    cache = PollCache()
    key: tuple[int, int, frozenset[int], int] = (0, 0, frozenset(), 500)
    assert cache.get(7, key) is None
    cache.put(7, key, "[]", 3)
    assert cache.get(7, key) == ("[]", 3)
    assert cache.get(8, key) is None             # a commit happened: read again
    cache.put(7, key, "[old]", 3)                # read across that commit: not kept
    assert cache.get(8, key) is None
    for n in range(MAX_ENTRIES + 1):             # bounded: starts over instead of growing
        cache.put(8, n, "[]", 0)
    assert len(cache._entries) <= MAX_ENTRIES


def test_frames_take_what_orjson_refuses_the_way_json_did() -> None:
    assert math.isnan(parse('{"type":"ping","payload":{"n":NaN}}').payload["n"])
    big = 2 ** 70
    assert parse(f'{{"type":"ping","payload":{{"n":{big}}}}}').payload["n"] == big
    assert dumps({"type": "x", "payload": {1: "é", "n": big}}) == \
        f'{{"type":"x","payload":{{"1":"é","n":{big}}}}}'
    assert dumps_bytes({"a": "é"}) == '{"a":"é"}'.encode()


def test_uvloop_is_the_loop_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    uvloop = pytest.importorskip("uvloop")
    monkeypatch.delenv("HUB_EVENT_LOOP", raising=False)
    assert event_loop_factory() is uvloop.new_event_loop
    monkeypatch.setenv("HUB_EVENT_LOOP", "asyncio")
    assert event_loop_factory() is None


async def test_polls_see_every_commit_acks_included(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    url = f"{hub.base}/api/orders?since_rev=0"
    pos = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos-pc")
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="k-pc")
    try:
        first = make_order("PC-1")
        await pos.submit(first)
        for _ in range(2):                       # the second answer comes from the cache
            status, rows = http_json(url)
            assert status == 200 and [r["uuid"] for r in rows] == [first["uuid"]]
            assert rows[0]["acknowledged_by"] == []
        # An acknowledgement changes no rev; the next poll must still show it.
        ack = await kitchen.request("ack_order", {"uuid": first["uuid"]})
        assert ack["type"] == "ack", ack
        _, rows = http_json(url)
        assert rows[0]["acknowledged_by"] == ["k-pc"]
        second = make_order("PC-2")
        await pos.submit(second)
        _, rows = http_json(url)
        assert [r["uuid"] for r in rows] == [first["uuid"], second["uuid"]]
    finally:
        await pos.close()
        await kitchen.close()

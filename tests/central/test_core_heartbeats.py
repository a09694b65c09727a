"""The heartbeat batch: who is authenticated, which rows are written, what is announced."""

from __future__ import annotations

from typing import Any

from central.core import credentials, fleet
from central.core.heartbeats import Beat, BeatQueue, HubState, plan_batch

DIGEST = credentials.digest("hub_alpha")


def state(**over: Any) -> HubState:
    base: dict[str, Any] = dict(hub_id="hub-a", outlet_id=3, token_digest=DIGEST,
                                last_heartbeat={"kitchens_connected": 2}, last_seen=100.0,
                                offline_announced_at=None, version="1.0",
                                websocket_url="ws://10.0.0.2:3001/ws", addresses=["10.0.0.2"])
    base.update(over)
    return HubState(**base)


def beat(at: float = 110.0, digest: str = DIGEST, **raw: Any) -> Beat:
    return Beat(digest, fleet.parse_heartbeat({"kitchens_connected": 2, **raw}), at)


def test_unknown_token_is_unauthorized_and_writes_nothing() -> None:
    plan = plan_batch([beat(digest=credentials.digest("hub_forged"))], {DIGEST: state()})
    assert plan.rows == []
    assert plan.outcomes[0].error is not None and plan.outcomes[0].error.code == "unauthorized"


def test_foreign_hub_id_is_forbidden_and_writes_nothing() -> None:
    plan = plan_batch([beat(hub_id="hub-b")], {DIGEST: state()})
    assert plan.rows == []
    assert plan.outcomes[0].error is not None and plan.outcomes[0].error.code == "forbidden"


def test_two_beats_of_one_hub_write_one_row_and_each_gets_an_outcome() -> None:
    plan = plan_batch([beat(110.0, kitchens_connected=3), beat(111.0, kitchens_connected=3)],
                      {DIGEST: state()})
    assert len(plan.rows) == 1 and plan.rows[0]["b_last_seen"] == 111.0
    # The first changes 2 -> 3 and is announced; the second compares with the first.
    assert [o.kitchens_changed for o in plan.outcomes] == [3, None]
    assert all(o.hub_id == "hub-a" and o.error is None for o in plan.outcomes)


def test_hub_back_after_offline_announcement_is_announced_even_unchanged() -> None:
    plan = plan_batch([beat()], {DIGEST: state(offline_announced_at=150.0)})
    assert plan.outcomes[0].kitchens_changed == 2


def test_missing_fields_keep_the_stored_values() -> None:
    (row,) = plan_batch([beat()], {DIGEST: state()}).rows
    assert (row["b_version"], row["b_websocket_url"], row["b_addresses"]) == \
        ("1.0", "ws://10.0.0.2:3001/ws", ["10.0.0.2"])
    assert row["b_last_heartbeat"]["received_at"] == 110.0


def test_outlet_url_follows_only_a_changed_hub_url() -> None:
    same = plan_batch([beat(websocket_url="ws://10.0.0.2:3001/ws")], {DIGEST: state()})
    moved = plan_batch([beat(websocket_url="ws://10.0.0.9:3001/ws")], {DIGEST: state()})
    assert same.follow_urls == []
    assert moved.follow_urls == [(3, "ws://10.0.0.9:3001/ws", 110.0)]


def test_queue_is_bounded_and_hands_out_batches_oldest_first() -> None:
    queue: BeatQueue[int] = BeatQueue(max_pending=3, max_batch=2)
    assert [queue.offer(beat(), n) for n in range(4)] == [True, True, True, False]
    assert [t for _, t in queue.take()] == [0, 1]
    assert [t for _, t in queue.take()] == [2]
    assert queue.take() == [] and len(queue) == 0

"""Feed selection, outbox policy, flood control and the envelope, without I/O."""

from __future__ import annotations

import pytest

from hub.core.messages import parse
from hub.core.ratelimit import TokenBucket
from outlet_protocol.errors import ProtocolError
from outlet_protocol.feed import ClientFilter, parse_tenant_ids, select_replay
from outlet_protocol.outbox import Backoff, contiguous_acked


def o(oid: int, rev: int, created_rev: int, tenant: int | None, status: str = "pending") -> dict:
    return {"id": oid, "rev": rev, "created_rev": created_rev, "tenant_id": tenant,
            "uuid": f"u{oid}", "order_number": f"N{oid}", "status": status,
            "updated_at": "t", "updated_by": None}


def test_kitchen_follows_only_its_tenants_and_orders_without_tenant() -> None:
    k = ClientFilter("kitchen", frozenset({1}))
    assert k.wants("new_order", 1) and k.wants("new_order", None)
    assert not k.wants("new_order", 2)
    assert ClientFilter("kitchen").wants("new_order", 2)


def test_pos_gets_status_updates_but_not_new_orders() -> None:
    pos = ClientFilter("pos")
    assert not pos.wants("new_order", 1)
    assert pos.wants("order_status_update", 1)


def test_replay_sends_new_orders_for_unseen_and_status_for_seen() -> None:
    orders = [o(1, 5, 1, 1, "ready"), o(2, 3, 3, 1), o(3, 4, 4, 2), o(4, 2, 2, 1)]
    got = select_replay(orders, since_rev=2, flt=ClientFilter("kitchen", frozenset({1})))
    assert [(k, p["uuid"]) for k, p in got] == [("new_order", "u2"), ("order_status_update", "u1")]
    assert got[1][1]["status"] == "ready"


def test_tenant_ids_parse_from_lists_and_csv() -> None:
    assert parse_tenant_ids(["1,2", 3, ""]) == frozenset({1, 2, 3})
    with pytest.raises(ValueError):
        parse_tenant_ids(["x"])


def test_cursor_moves_only_over_a_contiguous_acked_prefix() -> None:
    sent = [11, 12, 13, 14]
    assert contiguous_acked(10, {12, 13}, sent) == 10
    assert contiguous_acked(10, {11, 12, 14}, sent) == 12
    assert contiguous_acked(10, {11, 12, 13, 14}, sent) == 14


def test_backoff_grows_and_caps() -> None:
    b = Backoff(initial=1, factor=2, maximum=10, jitter=0)
    assert [b.delay(i, 0.5) for i in range(5)] == [1, 2, 4, 8, 10]
    jittery = Backoff(jitter=0.2)
    assert 0.8 <= jittery.delay(0, 0.0) <= jittery.delay(0, 0.999) <= 1.2


def test_token_bucket_refuses_past_the_burst_and_refills() -> None:
    bucket = TokenBucket(rate=10, burst=3)
    assert [bucket.allow(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.allow(0.1)          # one token back after 100 ms
    assert bucket.refused == 1


@pytest.mark.parametrize(("text", "code"), [
    ("{not json", "invalid_json"), ("[1,2]", "invalid_message"), ('{"payload": {}}', "invalid_message"),
    ('{"type": 5}', "invalid_message"), ('{"type": "x", "id": {}}', "invalid_message"),
])
def test_bad_envelopes_are_refused_with_their_code(text: str, code: str) -> None:
    with pytest.raises(ProtocolError) as err:
        parse(text)
    assert err.value.code == code


def test_seed_envelope_without_payload_uses_sibling_fields() -> None:
    env = parse('{"type": "new_order", "order_number": "A1", "items": []}')
    assert env.payload == {"order_number": "A1", "items": []}


@pytest.mark.parametrize("size", [0, 5, 125, 126, 65535, 65536, 70000])
def test_text_frames_follow_rfc6455_length_encoding(size: int) -> None:
    from hub.core.wsframe import text_frame

    text = "x" * size
    frame = text_frame(text)
    assert frame[0] == 0x81                       # FIN + text opcode
    assert frame[1] & 0x80 == 0                   # server frames are never masked
    short = frame[1] & 0x7F
    if size < 126:
        assert short == size and frame[2:] == text.encode()
    elif size < 65536:
        assert short == 126 and int.from_bytes(frame[2:4], "big") == size
        assert frame[4:] == text.encode()
    else:
        assert short == 127 and int.from_bytes(frame[2:10], "big") == size
        assert frame[10:] == text.encode()

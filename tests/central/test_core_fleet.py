"""Fleet, credentials and catalog rules without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from central.core import catalog, credentials, fleet
from outlet_protocol import pricing
from outlet_protocol.errors import ProtocolError


def test_admin_pinned_url_is_never_overwritten_by_a_hub() -> None:
    assert fleet.next_websocket_url("admin", "ws://10.0.0.9:3001") is None
    assert fleet.next_websocket_url("default", "ws://10.0.0.9:3001") == "ws://10.0.0.9:3001"
    assert fleet.next_websocket_url("hub", None) is None


def test_hub_is_offline_after_the_window() -> None:
    assert fleet.is_online(100.0, 144.0, 45.0)
    assert not fleet.is_online(100.0, 146.0, 45.0)
    assert not fleet.is_online(None, 1.0, 45.0)


def test_heartbeat_parses_into_a_snapshot() -> None:
    snap = fleet.parse_heartbeat({
        "hub_id": "h", "time": "2026-01-03T10:30:00Z", "clients": {"kitchen": 2, "pos": 1},
        "kitchens_connected": 2, "outbox_pending": 5, "oldest_unsynced_age_seconds": 1.5,
        "mqtt": "connected", "menu_version": 7, "websocket_url": "ws://10.0.0.2:3001/ws"})
    assert snap["clients"] == {"kitchen": 2, "pos": 1, "display": 0, "board": 0, "device": 0}
    assert snap["hub_time"] == pytest.approx(1767436200.0)
    with pytest.raises(ProtocolError):
        fleet.parse_heartbeat({"mqtt": "sometimes"})


def test_registration_requires_a_ws_url() -> None:
    with pytest.raises(ProtocolError) as err:
        fleet.parse_registration({"hub_id": "h", "outlet_id": 1, "websocket_url": "http://x"})
    assert err.value.field == "websocket_url"


def test_sd_target_prefers_the_lan_address() -> None:
    assert fleet.sd_target(["10.0.0.5"], "ws://hub.local:3001", 3002) == "10.0.0.5:3002"
    assert fleet.sd_target([], "ws://hub.local:3001", 3002) == "hub.local:3002"
    assert fleet.sd_target(["fe80::1"], None, 3002) == "[fe80::1]:3002"
    assert fleet.sd_target([], None, 3002) is None


def test_throttle_blocks_after_the_limit_and_forgets_after_the_window() -> None:
    t = credentials.FailureThrottle(limit=3, window=10.0)
    for i in range(3):
        assert not t.blocked("a", float(i))
        t.failed("a", float(i))
    assert t.blocked("a", 3.0)
    assert not t.blocked("b", 3.0)
    assert not t.blocked("a", 12.5)


def test_display_token_is_derived_and_unforgeable() -> None:
    tok = credentials.display_token("s3cret", 4)
    assert credentials.display_token_outlet("s3cret", tok) == 4
    assert credentials.display_token_outlet("other", tok) is None
    forged = tok.replace("dsp_4_", "dsp_5_")
    assert credentials.display_token_outlet("s3cret", forged) is None


def test_passwords_use_argon2() -> None:
    h = credentials.hash_password("pw-123")
    assert h.startswith("$argon2id$")
    assert credentials.verify_password(h, "pw-123")
    assert not credentials.verify_password(h, "pw-124")
    assert not credentials.verify_password("garbage", "pw-123")


def test_tokens_are_stored_as_digests() -> None:
    tok = credentials.new_token(credentials.HUB)
    assert tok.startswith("hub_") and len(tok) > 40
    assert credentials.digest(tok) != tok and len(credentials.digest(tok)) == 64


def test_product_patch_takes_only_present_fields() -> None:
    assert catalog.parse_product({"price": "12.50"}, partial=True) == {"price": "12.5"}
    with pytest.raises(ProtocolError) as err:
        catalog.parse_product({"name": "x"}, partial=False)
    assert err.value.field == "tenant_id"


def test_pin_change() -> None:
    assert catalog.pin_change({"name": "x"}) == (False, None)
    assert catalog.pin_change({"websocket_url": None}) == (True, None)
    assert catalog.pin_change({"websocket_url": "ws://1.2.3.4:3001"}) == (True,
                                                                          "ws://1.2.3.4:3001")


def test_promotion_activity_window() -> None:
    promo = {"is_active": True, "start_date": "2026-01-01T00:00:00.000Z",
             "end_date": "2026-01-31T00:00:00.000Z"}
    assert pricing.is_active(promo, pricing.now_ms(datetime(2026, 1, 15, tzinfo=UTC)))
    assert not pricing.is_active(promo, pricing.now_ms(datetime(2026, 2, 1, tzinfo=UTC)))
    with pytest.raises(ProtocolError):
        catalog.parse_promotion({"name": "p", "discount_percent": "101"}, partial=False)

"""The feed decisions the hub's adapters call: replay pages, held changes, retention floor."""

from __future__ import annotations

from typing import Any

from outlet_protocol.feed import (
    NEW_ORDER,
    STATUS_UPDATE,
    ClientFilter,
    next_page,
    retention_floor,
    select_replay,
    still_to_send,
)
from outlet_protocol.orders import conflict_error, ingest_decision


def _order(rev: int, created_rev: int, uuid: str, tenant: int | None = None) -> dict[str, Any]:
    return {"id": created_rev, "rev": rev, "created_rev": created_rev, "uuid": uuid,
            "order_number": uuid.upper(), "tenant_id": tenant, "status": "pending",
            "updated_at": "2026-12-01T08:00:00.000Z"}


def test_an_order_changed_while_paging_is_one_ticket_then_a_status_update() -> None:
    kitchen = ClientFilter("kitchen")
    shown: set[str] = set()
    first = select_replay([_order(3, 3, "a"), _order(4, 4, "b")], 0, kitchen, shown)
    # "a" moved to rev 9 while the first page was being sent: it comes round again.
    second = select_replay([_order(9, 3, "a")], 0, kitchen, shown)
    assert [k for k, _ in first] == [NEW_ORDER, NEW_ORDER]
    assert [(k, p["uuid"]) for k, p in second] == [(STATUS_UPDATE, "a")]


def test_replay_skips_other_tenants_and_what_the_client_has() -> None:
    stall = ClientFilter("kitchen", frozenset({1}))
    got = select_replay([_order(2, 2, "old", 1), _order(5, 5, "other", 2),
                         _order(6, 6, "mine", 1), _order(7, 2, "old", 1)], 2, stall)
    assert [(k, p["uuid"]) for k, p in got] == [(NEW_ORDER, "mine"), (STATUS_UPDATE, "old")]


def test_next_page_stops_on_a_short_page() -> None:
    rows = [{"rev": 10, "id": 1}, {"rev": 12, "id": 2}]
    assert next_page(rows, 2, "rev") == 12
    assert next_page(rows, 2, "id") == 2
    assert next_page(rows, 3, "rev") is None
    assert next_page([], 3, "rev") is None


def test_held_live_changes_covered_by_the_replay_are_not_sent_twice() -> None:
    assert not still_to_send(7, 7)
    assert still_to_send(8, 7)


def test_retention_floor_is_the_slowest_sink_and_an_unknown_cursor_keeps_everything() -> None:
    assert retention_floor(100, [80, 95]) == 80
    assert retention_floor(100, []) == 100
    assert retention_floor(100, [90, None]) == 0
    assert retention_floor(50, [90]) == 50


def test_same_uuid_other_content_is_a_conflict_error() -> None:
    assert ingest_decision("a", "b") == "conflict"
    err = conflict_error()
    assert (err.code, err.field, err.http_status) == ("conflict", "uuid", 409)

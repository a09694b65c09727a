"""The outlet's locale, currency and trading-day start on the hub (issue 14, decisions 0901
and 0910): set at central, cached by the hub across restarts and central outages, `HUB_LOCALE`
/ `day_starts_at` on a standalone hub, returned by /api/outlet, and the language of the hub's
printed tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub import today
from hub.config import ConfigError, load
from hub.printing.config import PrinterConfig
from hub.printing.tickets import render_ticket
from outlet_protocol.business_day import normalize_day_start
from tests.central.conftest import hub_enrolled_at_new_central
from tests.support.fake_printer import ticket_text
from tests.support.faults import eventually
from tests.support.processes import Hub, Process, http_json


def outlet_info(hub: Hub) -> dict[str, Any]:
    status, body = http_json(f"{hub.base}/api/outlet")
    assert status == 200
    return dict(body)


def test_enrolled_hub_follows_central_and_keeps_it_while_central_is_down(
        tmp_path: Path, procs: list[Process], hub_factory: Callable[..., Hub]) -> None:
    # The hub's own setting says English; an enrolled hub follows central's outlet instead.
    proc, hq, outlet_id, hub = hub_enrolled_at_new_central(
        tmp_path, procs, hub_factory, "Kedai Kopi",
        HUB_HEARTBEAT_SECONDS="0.3", HUB_CENTRAL_TIMEOUT_SECONDS="2", HUB_LOCALE="en")
    eventually(lambda: outlet_info(hub)["locale"] == "id-ID", "central's default outlet locale")
    assert outlet_info(hub)["currency"] == "IDR"
    assert outlet_info(hub)["day_starts_at"] == "04:00"

    # A warung that trades past midnight: its day starts at 05:30 at central, and the hub's
    # "yesterday" (kitchen, held tickets, status page) must cut where central's summary does.
    hq.as_admin("PATCH", f"/api/tenants/outlets/{outlet_id}/",
                {"locale": "en-GB", "currency": "SGD", "day_starts_at": "05:30"})
    settings = ("locale", "currency", "day_starts_at")
    eventually(lambda: tuple(outlet_info(hub)[k] for k in settings) == ("en-GB", "SGD", "05:30"),
               "the change at HQ on the hub within a heartbeat")
    _, status = http_json(f"{hub.base}/api/status")  # the status page's "Today" card
    assert status["today"]["since"] == today.window("05:30", datetime.now(UTC))[1]

    proc.kill()
    hub.terminate()
    hub.start()
    info = outlet_info(hub)
    # from the hub's own cache, central being down
    assert tuple(info[k] for k in settings) == ("en-GB", "SGD", "05:30")


def test_standalone_hub_uses_its_own_setting(hub_factory: Callable[..., Hub]) -> None:
    info = outlet_info(hub_factory(env={"HUB_LOCALE": "en", "HUB_CURRENCY": "usd"}))
    assert (info["locale"], info["currency"]) == ("en-US", "USD")


def test_a_day_start_from_the_wire_is_checked() -> None:
    assert normalize_day_start("05:30") == "05:30"
    for bad in ("5:30", "24:00", "05:60", "0530", None, 530, "05:30:00", "x" * 5000):
        with pytest.raises(ValueError):
            normalize_day_start(bad)


def test_old_and_new_locale_values_load_and_bad_ones_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    for value, expected in (("id", "id-ID"), ("en", "en-US"), ("id-ID", "id-ID"), ("en_gb", "en-GB")):
        path.write_text(f'locale = "{value}"\n')
        assert load(path, environ={}).locale == expected
    for key, bad in (("locale", "fr-FR"), ("locale", "english"), ("currency", "rupiah")):
        path.write_text(f'{key} = "{bad}"\n')
        with pytest.raises(ConfigError, match=f"^{key}:"):
            load(path, environ={})


def test_tickets_speak_the_outlet_locale() -> None:
    order = {"uuid": "u-1", "order_number": "K-7", "order_type": "takeaway",
             "items": [{"name": "Es Teh", "qty": 2}]}
    printer = PrinterConfig(name="grill", url="tcp://127.0.0.1:9100")
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    texts = {loc: ticket_text(render_ticket("kitchen", order, printer, locale=loc, printed_at=at,
                                            zone=UTC)) for loc in ("id-ID", "en-US")}
    assert "PESANAN BARU" in texts["id-ID"] and "Bawa pulang" in texts["id-ID"]
    assert "NEW ORDER" in texts["en-US"] and "Takeaway" in texts["en-US"]

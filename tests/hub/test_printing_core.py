"""The printer rules without sockets: config errors name the key, holds, business days, tickets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from hub.config import ConfigError, load
from hub.printing.config import PrinterConfig, parse_printers
from hub.printing.policy import business_day, hold_reason, prints_for, ticket_kind
from hub.printing.tickets import render_ticket
from hub.printing.transport import DLE_EOT_PAPER, DLE_EOT_PRINTER, status_problem
from tests.support.fake_printer import ticket_text

WIB = timezone(timedelta(hours=7))        # Jakarta
FOUR = time(4, 0)


def test_printers_load_from_hub_toml_beside_the_hub_table(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('[hub]\noutlet_id = 2\nday_starts_at = "05:30"\n'
                    '[[printers]]\nname = "grill"\nurl = "tcp://10.0.0.5:9100"\ntenants = [3]\n'
                    'backup = "bar"\nbackup_after_seconds = 60\n'
                    '[[printers]]\nname = "bar"\nurl = "usb:///dev/usb/lp0"\nwidth_mm = 58\n'
                    'prints = ["ready", "cancelled"]\nstations = ["drinks"]\n')
    cfg = load(path, environ={})
    grill, bar = cfg.printers
    assert (grill.tenants, grill.backup, grill.backup_after_seconds) == (frozenset({3}), "bar", 60)
    assert grill.hold_after_minutes == 30 and grill.prints == frozenset({"kitchen"})
    assert (bar.width_mm, bar.columns, bar.stations) == (58, 32, frozenset({"drinks"}))
    assert cfg.day_starts_at == "05:30" and cfg.locale == "id-ID"


@pytest.mark.parametrize(("table", "key"), [
    ({"name": "Grill!", "url": "tcp://h:9100"}, "printers[0].name"),
    ({"name": "g", "url": "http://h:9100"}, "printers[0].url"),
    ({"name": "g", "url": "tcp://h"}, "printers[0].url"),
    ({"name": "g", "url": "tcp://h:1", "width_mm": 72}, "printers[0].width_mm"),
    ({"name": "g", "url": "tcp://h:1", "prints": ["receipt"]}, "printers[0].prints"),
    ({"name": "g", "url": "tcp://h:1", "tenants": ["3"]}, "printers[0].tenants"),
    ({"name": "g", "url": "tcp://h:1", "backup": "nobody"}, "printers[0].backup"),
    ({"name": "g", "url": "tcp://h:1", "hold_after_minutes": 0}, "printers[0].hold_after_minutes"),
    ({"name": "g", "url": "tcp://h:1", "colour": "red"}, "printers[0].colour"),
])
def test_bad_printer_setting_is_refused_naming_the_key(table: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(None, environ={"HUB_PRINTERS": json.dumps([table])})
    assert str(caught.value).startswith(key + ":")


def test_duplicate_names_and_bad_day_start_are_refused() -> None:
    with pytest.raises(ValueError, match=r"printers\[1\]\.name"):
        parse_printers([{"name": "a", "url": "tcp://h:1"}, {"name": "a", "url": "tcp://h:2"}])
    with pytest.raises(ConfigError, match=r"^day_starts_at:"):
        load(None, environ={"HUB_DAY_STARTS_AT": "4am"})


def test_business_day_starts_at_four_local_time() -> None:
    late = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)      # 03:30 on the 2nd in Jakarta
    assert business_day(late, FOUR, WIB).isoformat() == "2026-12-01"
    assert business_day(late + timedelta(hours=1), FOUR, WIB).isoformat() == "2026-12-02"


def test_old_or_yesterdays_tickets_are_held_fresh_ones_print() -> None:
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)          # 10:00 in Jakarta
    assert hold_reason(now - timedelta(minutes=29), now, 30, FOUR, WIB) is None
    assert hold_reason(now - timedelta(minutes=31), now, 30, FOUR, WIB) == "too_old"
    # 03:50 local is the previous trading day even though it is 10 minutes old at 04:00.
    opening = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)     # 04:00 in Jakarta
    assert hold_reason(opening - timedelta(minutes=10), opening, 30, FOUR, WIB) == \
        "earlier_business_day"


def test_printer_prints_its_stall_and_stations_and_chosen_kinds() -> None:
    grill = PrinterConfig("grill", "tcp://h:1", tenants=frozenset({1}),
                          stations=frozenset({"wok"}), prints=frozenset({"kitchen", "ready"}))
    order = {"tenant_id": 1, "items": [{"name": "Mie", "station": "wok"}]}
    assert prints_for(grill, ticket_kind("created", "pending"), order)
    assert prints_for(grill, ticket_kind("status", "ready"), order)
    assert not prints_for(grill, ticket_kind("status", "preparing"), order)
    assert not prints_for(grill, ticket_kind("status", "cancelled"), order)
    assert not prints_for(grill, "kitchen", dict(order, tenant_id=2))
    assert not prints_for(grill, "kitchen", {"tenant_id": 1, "items": [{"name": "Teh",
                                                                          "station": "bar"}]})


def test_ticket_is_readable_in_both_locales_and_marks_backup() -> None:
    order = {"uuid": "u-9", "order_number": "K-9", "tenant_id": 1, "order_type": "takeaway",
             "items": [{"name": "Soto", "qty": 1, "modifiers": ["extra sambal"], "notes": ""}]}
    printer = PrinterConfig("grill", "tcp://h:1", width_mm=58)
    at = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    text = ticket_text(render_ticket("kitchen", order, printer, locale="en", printed_at=at,
                                     zone=UTC, backup_for="bar"))
    lines = text.splitlines()
    assert lines[0] == "^^BACKUP for printer bar"
    assert "NEW ORDER" in lines and "^^No. K-9" in lines and "^^  + extra sambal" in lines
    assert "QR:u-9" in lines and "Takeaway | Stall 1" in lines and "01-12-2026 05:00" in lines
    cancelled = ticket_text(render_ticket("cancelled", order, printer, locale="id",
                                          printed_at=at, zone=UTC))
    assert "DIBATALKAN" in cancelled and "Soto" not in cancelled


def test_dle_eot_answers_offline_and_paper_end() -> None:
    assert status_problem(DLE_EOT_PRINTER, 0x12) is None
    assert status_problem(DLE_EOT_PRINTER, 0x1A) == "offline"
    assert status_problem(DLE_EOT_PAPER, 0x72) == "out of paper"
    assert status_problem(DLE_EOT_PAPER, 0x1E) is None      # near end: still prints


def test_outlet_hub_role_writes_printers_the_hub_loads(tmp_path: Path) -> None:
    """The role's hub.toml template with the example's printers is a config the hub accepts."""
    import jinja2
    import yaml

    role = Path(__file__).resolve().parents[2] / "provisioning" / "roles" / "outlet_hub"
    values = yaml.safe_load((role / "defaults" / "main.yml").read_text())
    values |= {"outlet_hub_outlet_id": 1, "outlet_hub_outlet_name": "Malioboro",
               "outlet_hub_hub_id": "hub-malioboro", "outlet_hub_central_url": "",
               "outlet_hub_enrollment_token": "", "outlet_hub_client_token": "",
               "outlet_hub_websocket_url": "", "outlet_hub_allowed_networks": ["127.0.0.0/8"],
               "ansible_managed": "Ansible managed",
               "outlet_hub_printers": [
                   {"name": "kitchen", "url": "tcp://192.168.1.31:9100", "backup": "pass"},
                   {"name": "pass", "url": "tcp://192.168.1.32:9100", "width_mm": 58,
                    "prints": ["ready", "cancelled"]}]}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(role / "templates"),
                             keep_trailing_newline=True)
    env.filters |= {"comment": lambda t: "# " + str(t), "to_json": json.dumps,
                    "bool": lambda v: str(v).lower() in ("true", "1", "yes", "on")}
    path = tmp_path / "hub.toml"
    path.write_text(env.get_template("hub.toml.j2").render(**values))
    cfg = load(path, environ={})
    assert [p.name for p in cfg.printers] == ["kitchen", "pass"]
    assert cfg.printers[0].backup == "pass" and cfg.printers[1].prints == {"ready", "cancelled"}
    assert (cfg.day_starts_at, cfg.locale) == ("04:00", "id-ID")


def test_central_printers_merge_under_hub_toml_and_bad_rows_stay_out() -> None:
    from hub.printing.config import merge_printers

    local = parse_printers([{"name": "pass", "url": "tcp://h:1"}])
    rows = [{"id": 1, "outlet_id": 1, "name": "pass", "url": "tcp://central:1"},
            {"id": 2, "outlet_id": 1, "name": "grill", "url": "tcp://g:9100", "backup": "wok",
             "tenants": [2], "version": 7, "deleted": False},
            {"id": 3, "outlet_id": 1, "name": "wok", "url": "ftp://nope"},
            {"id": 4, "outlet_id": 2, "name": "bar", "url": "tcp://b:9100"}]
    merged, problems = merge_printers(local, rows, outlet_id=1)
    assert [(p.name, p.url) for p in merged] == [("pass", "tcp://h:1"), ("grill", "tcp://g:9100")]
    assert merged[1].backup == "" and merged[1].tenants == {2}
    assert problems[0].startswith("central printer 3.url:")
    assert "backup 'wok' is not a printer here" in problems[1]

#!/usr/bin/env python3
"""Write the Outlet Hub Grafana dashboards as JSON: the code here is their one source.

    .venv/bin/python monitoring/grafana/generate.py            # rewrite grafana/dashboards/
    .venv/bin/python monitoring/grafana/generate.py --out DIR  # write elsewhere (test compares)

Built with Grafana's own `grafana-foundation-sdk` (monitoring/requirements.txt), so the JSON
follows Grafana's dashboard schema; the small Panel/Query specs below keep the dashboards
readable. Deterministic output (same input, same bytes), so the committed JSON can be checked
against a fresh run. Queries use only the names in docs/metrics.md and the recording rules
in monitoring/prometheus/rules/recording.yml.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import common as common_b
from grafana_foundation_sdk.builders import dashboard as dash_b
from grafana_foundation_sdk.builders import prometheus as prom_b
from grafana_foundation_sdk.builders import stat as stat_b
from grafana_foundation_sdk.builders import table as table_b
from grafana_foundation_sdk.builders import timeseries as ts_b
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_m
from grafana_foundation_sdk.models import dashboard as dash_m
from grafana_foundation_sdk.models import prometheus as prom_m

HERE = Path(__file__).resolve().parent
DATASOURCE_UID = "outlet-hub-prometheus"
DATASOURCE = dash_m.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
OUTLET = 'outlet_id="$outlet_id"'
# Grafana's width grid is 24 columns.
GRID_WIDTH = 24


@dataclass
class Query:
    """One PromQL target of a panel."""

    expr: str
    legend: str = ""
    instant: bool = False
    table: bool = False


@dataclass
class Panel:
    """A panel before layout: kind, title, queries, unit, size."""

    kind: str  # "stat", "timeseries", "table"
    title: str
    queries: list[Query]
    description: str = ""
    unit: str = "short"
    width: int = 8
    height: int = 8
    thresholds: list[tuple[float | None, str]] = field(
        default_factory=lambda: [(None, "green")])
    overrides: list[dict[str, Any]] = field(default_factory=list)
    transformations: list[dict[str, Any]] = field(default_factory=list)


def stat(title: str, expr: str, description: str, unit: str = "short",
         thresholds: list[tuple[float | None, str]] | None = None, width: int = 4,
         legend: str = "") -> Panel:
    """A single big number."""
    return Panel("stat", title, [Query(expr, legend=legend, instant=True)], description, unit,
                 width, 4, thresholds or [(None, "green")])


def timeseries(title: str, queries: list[Query], description: str, unit: str = "short",
               width: int = 12, height: int = 8) -> Panel:
    """A graph over the dashboard's time range."""
    return Panel("timeseries", title, queries, description, unit, width, height)


def _thresholds(steps: list[tuple[float | None, str]]) -> dash_b.ThresholdsConfig:
    return dash_b.ThresholdsConfig().mode(dash_m.ThresholdsMode.ABSOLUTE).steps(
        [dash_m.Threshold(value=value, color=color) for value, color in steps])


def _target(query: Query, ref: str) -> prom_b.Dataquery:
    target = (prom_b.Dataquery().datasource(DATASOURCE).editor_mode(prom_m.QueryEditorMode.CODE)
              .expr(query.expr).legend_format(query.legend or "__auto").ref_id(ref))
    target = target.instant() if query.instant else target.range()
    if query.table:
        target = target.format(prom_m.PromQueryFormat.TABLE)
    return target


def _override(spec: dict[str, Any]) -> dash_b.DashboardFieldConfigSourceOverrides:
    matcher = dash_m.MatcherConfig(id_val=spec["matcher"]["id"], options=spec["matcher"]["options"])
    return dash_b.DashboardFieldConfigSourceOverrides().matcher(matcher).properties(
        [dash_m.DynamicConfigValue(id_val=p["id"], value=p["value"]) for p in spec["properties"]])


def _builder(panel: Panel) -> Any:
    """The SDK builder of `panel`'s kind with its visual options."""
    if panel.kind == "stat":
        return (stat_b.Panel().color_mode(common_m.BigValueColorMode.BACKGROUND)
                .graph_mode(common_m.BigValueGraphMode.AREA)
                .text_mode(common_m.BigValueTextMode.AUTO)
                .reduce_options(common_b.ReduceDataOptions().calcs(["lastNotNull"]).fields("")
                                .values(False))
                .color_scheme(dash_b.FieldColor().mode(dash_m.FieldColorModeId.THRESHOLDS)))
    if panel.kind == "timeseries":
        return (ts_b.Panel()
                .legend(common_b.VizLegendOptions().display_mode(common_m.LegendDisplayMode.TABLE)
                        .placement(common_m.LegendPlacement.BOTTOM).show_legend(True)
                        .calcs(["lastNotNull", "max"]))
                .tooltip(common_b.VizTooltipOptions().mode(common_m.TooltipDisplayMode.MULTI)
                         .sort(common_m.SortOrder.DESCENDING))
                .color_scheme(dash_b.FieldColor().mode(dash_m.FieldColorModeId.PALETTE_CLASSIC)))
    return (table_b.Panel().show_header(True)
            .sort_by([common_b.TableSortByFieldState().display_name("outlet_id").desc(False)])
            .color_scheme(dash_b.FieldColor().mode(dash_m.FieldColorModeId.THRESHOLDS)))


def _render_panel(panel: Panel, panel_id: int, x: int, y: int) -> Any:
    builder = (_builder(panel).id(panel_id).title(panel.title).description(panel.description)
               .datasource(DATASOURCE)
               .grid_pos(dash_m.GridPos(h=panel.height, w=panel.width, x=x, y=y))
               .targets([_target(q, chr(ord("A") + i)) for i, q in enumerate(panel.queries)])
               .unit(panel.unit).thresholds(_thresholds(panel.thresholds)))
    if panel.overrides:
        builder = builder.overrides([_override(o) for o in panel.overrides])
    for transformation in panel.transformations:
        builder = builder.with_transformation(dash_m.DataTransformerConfig(
            id_val=transformation["id"], options=transformation["options"]))
    return builder


def _layout(board: dash_b.Dashboard, panels: list[Panel]) -> dash_b.Dashboard:
    """Place panels left to right, wrapping at Grafana's 24 columns."""
    x, y, row_height = 0, 0, 0
    for panel_id, panel in enumerate(panels, start=1):
        if x + panel.width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        board = board.with_panel(_render_panel(panel, panel_id, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return board


def _link(title: str, url: str) -> dash_b.DashboardLink:
    return dash_b.DashboardLink(title).type(dash_m.DashboardLinkType.LINK).url(url).icon(
        "dashboard")


def dashboard(uid: str, title: str, description: str, panels: list[Panel],
              variables: list[dash_b.QueryVariable] | None = None,
              links: list[dash_b.DashboardLink] | None = None) -> dash_m.Dashboard:
    """A complete dashboard model, ready for Grafana's file provisioning."""
    board = (dash_b.Dashboard(title).uid(uid).description(description).tags(["outlet-hub"])
             .timezone("browser").readonly().tooltip(dash_m.DashboardCursorSync.CROSSHAIR)
             .refresh("30s").version(1).time("now-6h", "now")
             .variables(variables or []).links(links or [])
             .annotation(dash_b.AnnotationQuery().name("Annotations & Alerts")
                         .datasource(dash_m.DataSourceRef(type_val="grafana",
                                                          uid="-- Grafana --"))
                         .enable(True).hide(True).icon_color("rgba(0, 211, 255, 1)")
                         .type("dashboard")))
    return _layout(board, panels).build()


def _outlet_table() -> Panel:
    """One row per outlet, one column per fact HQ asks about first."""
    columns = [
        ("Name", "max by (outlet_id, outlet_name) (outlet_central_outlet_info)"),
        ("Has hub", "max by (outlet_id) (outlet_central_outlet_has_hub)"),
        ("Hub up", "max by (outlet_id) (outlet_central_hub_up)"),
        ("Backlog", "max by (outlet_id) (outlet_central_hub_outbox_pending)"),
        ("Oldest unsynced", "max by (outlet_id) (outlet_central_hub_oldest_unsynced_age_seconds)"),
        ("Kitchens", "max by (outlet_id) (outlet_central_hub_kitchens_connected)"),
        ("Orders/min", "outlet_id:outlet_hub_orders_received:rate5m * 60"),
        ("Menu version", "max by (outlet_id) (outlet_central_hub_menu_version)"),
    ]
    rename = {f"Value #{chr(ord('A') + i)}": name for i, (name, _) in enumerate(columns)}
    rename["Value #A"] = "info"
    return _merged_table(
        "Outlets", [expr for _, expr in columns],
        "Every outlet central knows, with its hub's last heartbeat facts. Orders/min needs "
        "the hub's own metrics (agent or VPN scrape).",
        {"excludeByName": {"Time": True, "info": True}, "renameByName": rename,
         "indexByName": {"outlet_id": 0, "outlet_name": 1}},
        [
            {"matcher": {"id": "byName", "options": "Hub up"},
             "properties": [{"id": "mappings", "value": [{"type": "value", "options": {
                 "0": {"text": "DOWN", "color": "red"}, "1": {"text": "up", "color": "green"}}}]},
                 {"id": "custom.cellOptions", "value": {"type": "color-background"}}]},
            {"matcher": {"id": "byName", "options": "Oldest unsynced"},
             "properties": [{"id": "unit", "value": "s"}]},
            {"matcher": {"id": "byName", "options": "Orders/min"},
             "properties": [{"id": "decimals", "value": 1}]},
        ],
    )


def _merged_table(title: str, exprs: list[str], description: str, organize: dict[str, Any],
                  overrides: list[dict[str, Any]]) -> Panel:
    """A full-width table of instant queries merged on their labels, one row per outlet."""
    return Panel(
        "table", title, [Query(expr, instant=True, table=True) for expr in exprs], description,
        width=24, height=6,
        transformations=[{"id": "merge", "options": {}},
                         {"id": "organize", "options": organize}],
        overrides=overrides,
    )


def _releases_table() -> Panel:
    """Decision 1101: which version each outlet runs and where its update stands."""
    return _merged_table(
        "Releases by outlet",
        ["max by (outlet_id, version) (outlet_central_hub_version_info)",
         "max by (outlet_id, state) (outlet_central_hub_update_state == 1)"],
        "The version each hub runs and its update state (HubUpdateRolledBack and "
        "HubUpdateStuck alert on it); the admin panel's Releases section has the last error.",
        {"excludeByName": {"Time": True, "Value #A": True, "Value #B": True},
         "indexByName": {"outlet_id": 0, "version": 1, "state": 2}},
        [{"matcher": {"id": "byName", "options": "state"},
          "properties": [{"id": "mappings", "value": [{"type": "value", "options": {
              "rolled_back": {"color": "red"}, "failed": {"color": "red"},
              "done": {"color": "green"}}}]},
              {"id": "custom.cellOptions", "value": {"type": "color-background"}}]}],
    )


def fleet_overview() -> dash_m.Dashboard:
    """Every outlet at a glance: up, backlog, kitchens, orders/min, menu version."""
    panels = [
        stat("Hubs up", "sum(outlet_central_hub_up)",
             "Hubs whose heartbeats reach central."),
        stat("Hubs down", "count(outlet_central_hub_up == 0) or vector(0)",
             "Hubs central marked offline after 3 missed heartbeats.",
             thresholds=[(None, "green"), (1, "red")]),
        stat("Outlets without hub", "count(outlet_central_outlet_has_hub == 0) or vector(0)",
             "Outlets no hub ever registered for.", thresholds=[(None, "green"), (1, "orange")]),
        stat("Orders / min", "sum(outlet_id:outlet_hub_orders_received:rate5m) * 60",
             "Orders stored by hubs that push or are scraped, fleet-wide, 5 minute rate."),
        stat("Central menu version", "max(outlet_central_menu_version)",
             "The master-data version hubs should have."),
        stat("Orders ingested / min",
             'sum(rate(outlet_central_orders_ingested_total{result="created"}[5m])) * 60',
             "New orders central stored from hubs, 5 minute rate."),
        _outlet_table(),
        timeseries("Orders per minute by outlet", [Query(
            "sum by (outlet_id) (rate(outlet_hub_orders_received_total[$__rate_interval])) * 60",
            "outlet {{outlet_id}}")], "Orders stored at each hub (not duplicates)."),
        timeseries("Outbox backlog by outlet", [Query(
            "max by (outlet_id) (outlet_central_hub_outbox_pending)", "outlet {{outlet_id}}")],
            "Change-feed entries each hub still has to send to central (heartbeat view)."),
        timeseries("Oldest unsynced order by outlet", [Query(
            "max by (outlet_id) (outlet_central_hub_oldest_unsynced_age_seconds)",
            "outlet {{outlet_id}}")],
            "Age of the oldest order not yet confirmed by central; HubNotSyncing at 10 min.",
            unit="s"),
        timeseries("Kitchen screens connected by outlet", [Query(
            "max by (outlet_id) (outlet_central_hub_kitchens_connected)", "outlet {{outlet_id}}")],
            "Live kitchen displays per outlet; zero in trading hours pages the on-call."),
        timeseries("Hubs up", [Query("max by (outlet_id) (outlet_central_hub_up)",
                                     "outlet {{outlet_id}}")],
                   "1 while a hub's heartbeats arrive at central."),
        timeseries("Menu version by outlet", [
            Query("max by (outlet_id) (outlet_central_hub_menu_version)", "outlet {{outlet_id}}"),
            Query("max(outlet_central_menu_version)", "central")],
            "The menu version each hub has against central's current one."),
        timeseries("Clients reported by outlet", [Query(
            "sum by (outlet_id, client_type) (outlet_central_hub_clients)",
            "outlet {{outlet_id}} {{client_type}}")],
            "Browsers and devices each hub reported in its last heartbeat."),
        timeseries("Central: orders and events ingested per minute", [
            Query("sum by (result) (rate(outlet_central_orders_ingested_total"
                  "[$__rate_interval])) * 60", "orders {{result}}"),
            Query("sum by (result) (rate(outlet_central_order_events_ingested_total"
                  "[$__rate_interval])) * 60", "events {{result}}")],
            "What hubs forwarded to central, by outcome (duplicates are normal after outages)."),
        timeseries("Central: p99 request time by route", [Query(
            "histogram_quantile(0.99, sum by (le, route) "
            "(rate(outlet_central_http_request_duration_seconds_bucket[$__rate_interval])))",
            "{{route}}")], "Central's HTTP latency as hubs and admins see it.", unit="s"),
        stat("Updates rolled back or refused",
             'count(outlet_central_hub_update_state{state=~"rolled_back|failed"} == 1) '
             'or vector(0)',
             "Hubs back on their previous release, or that refused a bundle (decision 1101).",
             thresholds=[(None, "green"), (1, "red")], width=12),
        _releases_table(),
        stat("Central version", "max by (version) (outlet_central_build_info)",
             "Software version central runs.", legend="{{version}}", width=12),
    ]
    return dashboard(
        "outlet-fleet", "Outlet Hub / Fleet overview",
        "Every outlet: hub up, sync backlog, kitchens connected, orders per minute, menu version.",
        panels,
        links=[_link("Outlet detail", "/d/outlet-detail")],
    )


def _quantiles(metric: str, by: str = "") -> list[Query]:
    group = f"le{', ' + by if by else ''}"
    return [Query(f"histogram_quantile({q}, sum by ({group}) "
                  f"(rate({metric}_bucket{{{OUTLET}}}[$__rate_interval])))",
                  f"p{int(q * 100)}{' {{' + by + '}}' if by else ''}")
            for q in (0.5, 0.99)]


def outlet_detail() -> dash_m.Dashboard:
    """One outlet in depth: latency, clients, orders, sync history."""
    variables = [
        dash_b.QueryVariable("outlet_id").label("Outlet").datasource(DATASOURCE)
        .query({"query": "label_values(outlet_central_outlet_info, outlet_id)",
                "refId": "outlet_id"})
        .refresh(dash_m.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dash_m.VariableSort.NUMERICAL_ASC).include_all(False).multi(False)]
    panels = [
        stat("Hub up", f"max(outlet_central_hub_up{{{OUTLET}}})",
             "1 while heartbeats reach central.", thresholds=[(None, "red"), (1, "green")]),
        stat("Hub version", f"max by (version) (outlet_hub_build_info{{{OUTLET}}})",
             "Software version the hub runs.", legend="{{version}}"),
        stat("Menu version", f"max(outlet_hub_menu_version{{{OUTLET}}})",
             "Master-data version cached at the hub."),
        stat("Kitchens connected", f"sum(outlet_hub_kitchens_connected{{{OUTLET}}})",
             "Kitchen screens live right now.", thresholds=[(None, "red"), (1, "green")]),
        stat("Since last central sync",
             f"time() - max(outlet_hub_central_last_sync_timestamp_seconds{{{OUTLET}}})",
             "Seconds since the hub last talked to central successfully.", unit="s",
             thresholds=[(None, "green"), (300, "orange"), (600, "red")]),
        stat("Disk free", f"min(outlet_hub_data_dir_free_bytes{{{OUTLET}}})",
             "Free space where the hub's SQLite database lives.", unit="bytes",
             thresholds=[(None, "red"), (268435456, "orange"), (1073741824, "green")]),
        timeseries("Fan-out latency (commit to kitchen socket)",
                   _quantiles("outlet_hub_fanout_latency_seconds"),
                   "From the SQLite commit to the message handed to a client socket.", unit="s"),
        timeseries("Order ack latency by transport",
                   _quantiles("outlet_hub_order_ack_latency_seconds", "transport"),
                   "From order received to durable ack sent.", unit="s"),
        timeseries("Orders per minute by source", [Query(
            f"sum by (source) (rate(outlet_hub_orders_received_total{{{OUTLET}}}"
            "[$__rate_interval])) * 60", "{{source}}")],
            "Orders stored, by where they came from."),
        timeseries("Duplicates and rejections per minute", [
            Query(f"sum by (transport) (rate(outlet_hub_orders_duplicate_total{{{OUTLET}}}"
                  "[$__rate_interval])) * 60", "duplicate {{transport}}"),
            Query(f"sum by (code) (rate(outlet_hub_orders_rejected_total{{{OUTLET}}}"
                  "[$__rate_interval])) * 60", "rejected {{code}}")],
            "Resubmissions answered with the stored ack, and refused submissions by code."),
        timeseries("Clients by type and transport", [Query(
            f"sum by (client_type, transport) (outlet_hub_clients{{{OUTLET}}})",
            "{{client_type}} ({{transport}})")],
            "Connected browsers and devices; poll clients count when seen in the last 30 s."),
        timeseries("Kitchen screens by tenant", [Query(
            f"sum by (tenant) (outlet_hub_kitchens_connected{{{OUTLET}}})", "{{tenant}}")],
            "Live kitchen displays per food-court tenant (\"all\": no tenant filter)."),
        timeseries("Messages to clients per minute", [
            Query(f"sum by (client_type) (rate(outlet_hub_kitchen_deliveries_total{{{OUTLET}}}"
                  "[$__rate_interval])) * 60", "{{client_type}}"),
            Query(f"sum by (status) (rate(outlet_hub_order_status_changes_total{{{OUTLET}}}"
                  "[$__rate_interval])) * 60", "status -> {{status}}")],
            "Order and status messages written to client sockets, and status changes stored."),
        timeseries("Outbox backlog by sink", [Query(
            f"max by (sink) (outlet_hub_outbox_pending{{{OUTLET}}})", "{{sink}}")],
            "Change-feed entries not yet confirmed by central or MQTT."),
        timeseries("Sync history", [
            Query(f"max by (sink) (outlet_hub_outbox_oldest_age_seconds{{{OUTLET}}})",
                  "oldest unsynced ({{sink}})"),
            Query(f"time() - max(outlet_hub_central_last_sync_timestamp_seconds{{{OUTLET}}})",
                  "since last central sync"),
            Query(f"time() - max(outlet_central_hub_last_heartbeat_timestamp_seconds"
                  f"{{{OUTLET}}})", "since last heartbeat at central")],
            "Ages that grow while the outlet cannot reach central.", unit="s"),
        timeseries("Links: central, MQTT", [
            Query(f"max(outlet_hub_central_up{{{OUTLET}}})", "central reachable"),
            Query(f"max(outlet_hub_mqtt_connected{{{OUTLET}}})", "MQTT connected"),
            Query(f"max(outlet_central_hub_up{{{OUTLET}}})", "heartbeats arrive")],
            "1 = up. The hub keeps working when any of them is down."),
        timeseries("SQLite group commit", [
            *_quantiles("outlet_hub_db_commit_seconds"),
            Query(f"sum(rate(outlet_hub_db_commit_seconds_count{{{OUTLET}}}"
                  "[$__rate_interval]))", "commits/s")],
            "Time of one group commit including fsync.", unit="s"),
        timeseries("Polls and WebSocket messages per minute", [
            Query(f"sum(rate(outlet_hub_polls_total{{{OUTLET}}}[$__rate_interval])) * 60",
                  "HTTP polls"),
            Query(f"sum by (type) (rate(outlet_hub_ws_messages_total{{{OUTLET}}}"
                  "[$__rate_interval])) * 60", "ws {{type}}")],
            "Polling fallback load and WebSocket messages received by type."),
        timeseries("Group commit batch size", _quantiles("outlet_hub_db_commit_batch_size"),
                   "Operations per SQLite transaction: grows under load (group commit)."),
        timeseries("Clock skew and change feed", [
            Query(f"max(outlet_central_hub_clock_skew_seconds{{{OUTLET}}})", "clock skew (s)"),
            Query(f"max(outlet_hub_last_rev{{{OUTLET}}})", "last rev")],
            "Hub clock minus central clock at the last heartbeat; newest change-feed revision."),
    ]
    return dashboard(
        "outlet-detail", "Outlet Hub / Outlet detail",
        "One outlet: fan-out latency, clients, orders by source, kitchens by tenant, sync history.",
        panels, variables=variables,
        links=[_link("Fleet overview", "/d/outlet-fleet")],
    )


DASHBOARDS = {"fleet-overview.json": fleet_overview, "outlet-detail.json": outlet_detail}


def render(name: str) -> str:
    """The exact bytes (as text) of one dashboard file."""
    encoded = json.dumps(DASHBOARDS[name](), cls=JSONEncoder, indent=2, ensure_ascii=False)
    return json.dumps(json.loads(encoded), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    """Write every dashboard into --out (default: dashboards/ beside this script)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "dashboards")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in DASHBOARDS:
        (args.out / name).write_text(render(name), encoding="utf-8")
        print(args.out / name)


if __name__ == "__main__":
    main()

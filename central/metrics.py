"""`/metrics`: fleet gauges from the latest heartbeats, plus this process's own counters.

Names and labels are the contract in docs/metrics.md. Fleet series are rebuilt from the
database at each scrape, so every central process reports the same fleet and a restart
loses nothing; labels are outlets and hubs, never orders.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from central import __version__
from central.core import fleet
from outlet_protocol.releases import UPDATE_STATES

_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class FleetSnapshot:
    """What a scrape reports about the fleet; filled from the database just before it."""

    outlets: list[Any] = field(default_factory=list)
    hubs: list[Any] = field(default_factory=list)
    menu_version: int = 0
    now: float = 0.0
    offline_after: float = 45.0
    devices: list[Any] = field(default_factory=list)


def latest_hub_per_outlet(hubs: list[Any]) -> dict[int, Any]:
    """The most recently seen hub of each outlet (a replaced hub must not page anyone)."""
    best: dict[int, Any] = {}
    for h in hubs:
        cur = best.get(h.outlet_id)
        if cur is None or (h.last_seen or 0) >= (cur.last_seen or 0):
            best[h.outlet_id] = h
    return best


class FleetCollector(Collector):
    """Per-outlet gauges computed from a FleetSnapshot."""

    def __init__(self) -> None:
        self.snapshot = FleetSnapshot()

    def collect(self) -> Iterator[Metric]:
        s = self.snapshot
        p = "outlet_central_"
        info = GaugeMetricFamily(p + "outlet_info", "Every outlet, hub or not.",
                                 labels=["outlet_id", "outlet_name"])
        has_hub = GaugeMetricFamily(p + "outlet_has_hub",
                                    "1 if a hub ever registered for the outlet.",
                                    labels=["outlet_id"])
        up = GaugeMetricFamily(p + "hub_up", "1 while heartbeats arrive (offline after 3 missed).",
                               labels=["outlet_id", "hub_id"])
        last = GaugeMetricFamily(p + "hub_last_heartbeat_timestamp_seconds",
                                 "Unix time of the hub's last heartbeat.",
                                 labels=["outlet_id", "hub_id"])
        per_outlet = {
            "outbox_pending": GaugeMetricFamily(
                p + "hub_outbox_pending", "Hub's reported outbox depth.", labels=["outlet_id"]),
            "oldest_unsynced_age_seconds": GaugeMetricFamily(
                p + "hub_oldest_unsynced_age_seconds", "Hub's age of its oldest unsynced order.",
                labels=["outlet_id"]),
            "kitchens_connected": GaugeMetricFamily(
                p + "hub_kitchens_connected", "Kitchen screens the hub reported.",
                labels=["outlet_id"]),
            "menu_version": GaugeMetricFamily(
                p + "hub_menu_version", "Menu version the hub has.", labels=["outlet_id"]),
            "clock_skew_seconds": GaugeMetricFamily(
                p + "hub_clock_skew_seconds", "Hub clock minus central clock at the heartbeat.",
                labels=["outlet_id"]),
        }
        mqtt = GaugeMetricFamily(p + "hub_mqtt_connected",
                                 "1 when the hub reported MQTT up, 0 down; absent when disabled.",
                                 labels=["outlet_id"])
        clients = GaugeMetricFamily(p + "hub_clients", "Clients the hub reported, by type.",
                                    labels=["outlet_id", "client_type"])
        version = GaugeMetricFamily(p + "hub_version_info",
                                    "1 per outlet, labelled with the version its hub runs.",
                                    labels=["outlet_id", "version"])
        update = GaugeMetricFamily(p + "hub_update_state",
                                   "1 for the update state the outlet's hub last reported.",
                                   labels=["outlet_id", "state"])
        hubs = latest_hub_per_outlet(s.hubs)
        for o in s.outlets:
            oid = str(o.id)
            info.add_metric([oid, o.name], 1)
            has_hub.add_metric([oid], 1 if o.id in hubs else 0)
        for outlet_id, h in sorted(hubs.items()):
            oid = str(outlet_id)
            online = fleet.is_online(h.last_seen, s.now, s.offline_after)
            up.add_metric([oid, h.hub_id], 1 if online else 0)
            last.add_metric([oid, h.hub_id], h.last_seen or 0)
            beat = h.last_heartbeat or {}
            for key, fam in per_outlet.items():
                fam.add_metric([oid], float(beat.get(key) or 0))
            if beat.get("mqtt") in ("connected", "disconnected"):
                # A hub without a broker on purpose ("disabled") or without a heartbeat yet
                # has no series: a 0 would fire MqttBrokerDown for it.
                mqtt.add_metric([oid], 1 if beat["mqtt"] == "connected" else 0)
            for ctype in fleet.CLIENT_TYPES:
                clients.add_metric([oid, ctype], float((beat.get("clients") or {}).get(ctype, 0)))
            if beat.get("version"):
                version.add_metric([oid, str(beat["version"])], 1)
            if beat:
                # A hub that reports no update (older than 1101, or updates off) is idle.
                reported = (beat.get("update") or {}).get("state") or "idle"
                for state in UPDATE_STATES:
                    update.add_metric([oid, state], 1 if state == reported else 0)
        kitchens = paired_kitchens(s, hubs)
        menu = GaugeMetricFamily(p + "menu_version", "Current master-data version.")
        menu.add_metric([], s.menu_version)
        yield from (info, has_hub, up, last, *per_outlet.values(), mqtt, clients, kitchens,
                    menu, version, update)


def paired_kitchens(s: FleetSnapshot, hubs: dict[int, Any]) -> GaugeMetricFamily:
    """Per outlet and stall: paired kitchen screens (state=paired) and those online.

    A screen counts as online only while its hub heartbeats (an offline hub's screens
    cannot be known). tenant="all" is a screen following every stall; labels are bounded
    by the outlets' stalls, never by devices.
    """
    fam = GaugeMetricFamily("outlet_central_paired_kitchens",
                            "Paired kitchen screens per stall, and how many are online.",
                            labels=["outlet_id", "tenant", "state"])
    counts: dict[tuple[str, str], list[int]] = {}
    for d in s.devices:
        if d.client_type != "kitchen":
            continue
        hub = hubs.get(d.outlet_id)
        live = (hub is not None and hub.hub_id == d.hub_id and bool(d.online)
                and fleet.is_online(hub.last_seen, s.now, s.offline_after))
        for tenant in [str(t) for t in d.tenant_ids] or ["all"]:
            pair = counts.setdefault((str(d.outlet_id), tenant), [0, 0])
            pair[0] += 1
            pair[1] += 1 if live else 0
    for outlet_id in hubs:         # zeros, so the series exist; the alert needs paired > 0
        if not any(key[0] == str(outlet_id) for key in counts):
            counts[(str(outlet_id), "all")] = [0, 0]
    for (oid, tenant), (paired, online) in sorted(counts.items()):
        fam.add_metric([oid, tenant, "paired"], paired)
        fam.add_metric([oid, tenant, "online"], online)
    return fam


class CentralMetrics:
    """This process's registry: build info, fleet collector, ingestion counters, HTTP timing."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        build = Gauge("outlet_central_build_info", "Which central version runs.", ["version"],
                      registry=self.registry)
        build.labels(__version__).set(1)
        self.fleet = FleetCollector()
        self.registry.register(self.fleet)
        self.orders = Counter("outlet_central_orders_ingested", "Orders a hub forwarded, by result.",
                              ["result"], registry=self.registry)
        self.task_restarts = Counter("outlet_central_task_restarts",
                                     "Background tasks restarted after an unexpected exception.",
                                     ["task"], registry=self.registry)
        # Series from the start.
        for task in ("central-listen", "central-offline-sweep", "central-heartbeat-writer"):
            self.task_restarts.labels(task)
        self.dead_letters = Counter("outlet_central_dead_letters_received",
                                    "Dead letters hubs reported (orders set aside for good).",
                                    registry=self.registry)
        self.events = Counter("outlet_central_order_events_ingested",
                              "Order status events a hub forwarded, by result.", ["result"],
                              registry=self.registry)
        for result in ("created", "duplicate", "conflict", "invalid"):
            self.orders.labels(result)
        for result in ("applied", "duplicate", "unknown_order", "invalid"):
            self.events.labels(result)
        self.http = Histogram("outlet_central_http_request_duration_seconds",
                              "HTTP request handling time.", ["route", "method"],
                              buckets=_HTTP_BUCKETS, registry=self.registry)
        # Heartbeats per write transaction: ~1 when quiet, tens at 2,000 hubs (issue 15).
        self.heartbeat_batch = Histogram("outlet_central_heartbeat_batch_size",
                                         "Heartbeats written per database transaction.",
                                         buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
                                         registry=self.registry)

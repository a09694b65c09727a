"""The hub's Prometheus metrics (names fixed by docs/metrics.md; HQ's rules depend on them).

A registry per app instance, so tests can run several hubs in one process and every
name is declared exactly once here.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from hub.core.updates import State as UpdateState

# Every supervised task (hub/app.py, central_link.py, mqtt_bridge.py): series exist at 0
# from the start, so increase() sees the first restart and the contract test sees the name.
TASKS = ("backlog", "retention", "checkpoint", "watchdog", "central-register", "central-outbox",
         "central-menu", "central-orders", "central-dead-letters", "mqtt-publisher",
         "mqtt-health", "updates")
UPDATE_STATES = tuple(str(s) for s in UpdateState)
DEAD_LETTER_KINDS = (("outbox", "http_400"), ("outbox", "http_413"), ("outbox", "invalid"),
                     ("outbox", "conflict"), ("online", "validation_failed"),
                     ("online", "conflict"))
SOURCES = frozenset({"kiosk", "pos", "mqtt", "central", "http", "online"})
# Sub-millisecond buckets: the hub's promise is "well under a second", its target ≤ 10 ms.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class HubMetrics:
    """Every metric the hub exports, in one registry."""

    def __init__(self, version: str, hub_id: str, outlet_id: int, data_dir: Path) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        self._data_dir = data_dir
        self.build_info = Gauge("outlet_hub_build_info", "Software version of this hub.",
                                ["version", "hub_id", "outlet_id"], registry=r)
        self.build_info.labels(version, hub_id, str(outlet_id)).set(1)
        self.orders_received = Counter("outlet_hub_orders_received", "Orders stored, by source.",
                                       ["source"], registry=r)
        self.orders_duplicate = Counter("outlet_hub_orders_duplicate",
                                        "Resubmitted orders answered with the stored ack.",
                                        ["transport"], registry=r)
        self.orders_rejected = Counter("outlet_hub_orders_rejected",
                                       "Order submissions refused, by error code.", ["code"],
                                       registry=r)
        self.requests_refused = Counter(
            "outlet_hub_requests_refused", "Requests and frames refused before handling, by "
            "reason (host, origin, media_type, rate_address, rate_token).", ["reason"],
            registry=r)
        for reason in ("host", "origin", "media_type", "rate_address", "rate_token"):
            self.requests_refused.labels(reason)         # exported as 0 from the start
        self.status_changes = Counter("outlet_hub_order_status_changes",
                                      "Order status transitions stored.", ["status"], registry=r)
        self.deliveries = Counter("outlet_hub_kitchen_deliveries",
                                  "Order and status messages written to client sockets.",
                                  ["client_type"], registry=r)
        self.fanout_latency = Histogram("outlet_hub_fanout_latency_seconds",
                                        "From commit to the message handed to a client socket.",
                                        buckets=LATENCY_BUCKETS, registry=r)
        self.ack_latency = Histogram("outlet_hub_order_ack_latency_seconds",
                                     "From order received to durable ack sent.", ["transport"],
                                     buckets=LATENCY_BUCKETS, registry=r)
        self.commit_seconds = Histogram("outlet_hub_db_commit_seconds",
                                        "One SQLite group commit, fsync included.",
                                        buckets=LATENCY_BUCKETS, registry=r)
        self.commit_batch = Histogram("outlet_hub_db_commit_batch_size",
                                      "Operations per group commit.",
                                      buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512), registry=r)
        self.clients = Gauge("outlet_hub_clients", "Connected clients (poll: seen in the last 30 s).",
                             ["client_type", "transport"], registry=r)
        self.kitchens = Gauge("outlet_hub_kitchens_connected", "Kitchen screens live per tenant.",
                              ["tenant"], registry=r)
        self.outbox_pending = Gauge("outlet_hub_outbox_pending",
                                    "Change-feed entries not yet confirmed by the sink.", ["sink"],
                                    registry=r)
        self.outbox_age = Gauge("outlet_hub_outbox_oldest_age_seconds",
                                "Age of the oldest unconfirmed entry (0 when empty).", ["sink"],
                                registry=r)
        self.central_up = Gauge("outlet_hub_central_up", "1 when the last central call succeeded.",
                                registry=r)
        self.central_last_sync = Gauge("outlet_hub_central_last_sync_timestamp_seconds",
                                       "Unix time of the last successful central sync.", registry=r)
        # An alert can see a hub whose renewal is overdue before browsers refuse it (1001).
        self.tls_expiry = Gauge("outlet_hub_tls_certificate_expiry_timestamp_seconds",
                                "Unix time the hub's LAN certificate expires (0 without one).",
                                registry=r)
        self.mqtt_connected = Gauge("outlet_hub_mqtt_connected", "1 when connected to the broker.",
                                    registry=r)
        self.menu_version = Gauge("outlet_hub_menu_version", "Master-data version cached here.",
                                  registry=r)
        self.pin_failures = Counter("outlet_hub_pairing_pin_failures",
                                    "Wrong manager PINs tried (pairing approval, device list).",
                                    registry=r)
        self.paired_kitchens = Gauge(
            "outlet_hub_paired_kitchens", "Paired kitchen screens per stall, and how many are "
            "online (state=online|paired); tenant=all for screens following every stall.",
            ["tenant", "state"], registry=r)
        self.last_rev = Gauge("outlet_hub_last_rev", "Newest change-feed revision.", registry=r)
        self.task_restarts = Counter("outlet_hub_task_restarts",
                                     "Background tasks restarted after an unexpected exception.",
                                     ["task"], registry=r)
        self.dead_letters = Counter("outlet_hub_dead_letters",
                                    "Orders set aside for good (never retried), by where and why.",
                                    ["source", "code"], registry=r)
        self.polls = Counter("outlet_hub_polls", "HTTP change-feed polls served.", registry=r)
        self.ws_messages = Counter("outlet_hub_ws_messages", "WebSocket messages received by type.",
                                   ["type"], registry=r)
        self._ws_children: dict[str, Counter] = {}
        self.disk_free = Gauge("outlet_hub_data_dir_free_bytes", "Free space where SQLite lives.",
                               registry=r)
        self.disk_free.set_function(self._free_bytes)
        self.clock = Gauge("outlet_hub_time_seconds", "The hub's clock, for skew checks.",
                           registry=r)
        self.clock.set_function(time.time)
        # A StateSet: one series per state, 1 for the current one (alerts match a state name).
        self.update_state = Gauge("outlet_hub_update_state",
                                  "1 for the state this hub's software update is in.",
                                  ["state"], registry=r)
        self.set_update_state("idle")
        for task in TASKS:
            self.task_restarts.labels(task)
        for source, code in DEAD_LETTER_KINDS:
            self.dead_letters.labels(source, code)
        for sink in ("central", "mqtt"):
            self.outbox_pending.labels(sink).set(0)
            self.outbox_age.labels(sink).set(0)
        for t in ("pos", "kitchen", "display", "board", "device"):
            for transport in ("ws", "poll"):
                self.clients.labels(t, transport).set(0)

    def set_update_state(self, state: str) -> None:
        """1 on `state`, 0 on every other update state."""
        for name in UPDATE_STATES:
            self.update_state.labels(name).set(1 if name == state else 0)

    def count_ws_message(self, kind: str) -> None:
        """Per-message counter with the label child cached (this runs for every frame in)."""
        child = self._ws_children.get(kind)
        if child is None:
            child = self._ws_children[kind] = self.ws_messages.labels(kind)
        child.inc()

    def _free_bytes(self) -> float:
        try:
            return float(shutil.disk_usage(self._data_dir).free)
        except OSError:
            return 0.0

    @staticmethod
    def source_label(source: str) -> str:
        """Bounded label values: unknown sources are counted as `other`."""
        return source if source in SOURCES else "other"

    def render(self) -> bytes:
        return generate_latest(self.registry)

"""Everything one running hub shares between its adapters, behind one typed app key."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hub import __version__
from hub.config import HubConfig
from hub.devices import DeviceRegistry
from hub.fanout import Fanout
from hub.https import HttpsListener, tls_health
from hub.intake import OrderIntake
from hub.lan_tls import LanCertificate
from hub.metrics import HubMetrics
from hub.replay_share import ReplayShare
from hub.security import FloodGuard
from hub.state import HubState
from hub.store import OrderStore
from hub.supervisor import Supervisor

POLL_CLIENT_TTL = 30.0


@dataclass
class Poller:
    """An HTTP-polling client, remembered for 30 s after its last poll."""

    id: str
    client_type: str
    remote: str
    tenant_ids: list[int]
    first_seen: float
    last_seen: float

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.client_type,
                "connectedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.first_seen)),
                "remote": self.remote, "tenant_ids": self.tenant_ids, "transport": "poll"}


@dataclass
class HubContext:
    cfg: HubConfig
    store: OrderStore
    fanout: Fanout
    metrics: HubMetrics
    intake: OrderIntake
    state: HubState
    devices: DeviceRegistry
    started: float = field(default_factory=time.monotonic)
    version: str = __version__
    websocket_url: str = ""
    addresses: list[str] = field(default_factory=list)
    pollers: dict[str, Poller] = field(default_factory=dict)
    display_token: str = ""
    supervisor: Supervisor = field(default_factory=Supervisor)
    # Replays shared by screens asking the same since the last commit (hub/replay_share.py).
    replays: ReplayShare = field(default_factory=ReplayShare)
    # Diagnostic switch: while this file exists, WebSocket upgrades are refused so IT (and
    # the browser tests) can check that screens fall back to polling and come back.
    ws_refuse_flag: str = ""
    # Flood limits per address and per token, shared by HTTP, WebSocket and pairing.
    flood: FloodGuard | None = None
    # The LAN certificate and the HTTPS listener that serves it (decision 1001).
    lan_tls: LanCertificate | None = None
    https: HttpsListener | None = None

    def tls_status(self) -> tuple[dict[str, Any], list[str]]:
        """The `tls` object of /health and /api/status, and its degraded reasons."""
        if self.lan_tls is None:
            return {"state": "disabled"}, []
        return tls_health(self.cfg, self.lan_tls, self.https)
    # The fleet update's `update` object for /health and the status page (hub/updater.py);
    # None while updates are off (no update_root, no central).
    update_report: Callable[[], dict[str, Any]] | None = None
    # The outlet's locale and currency as central last sent them (kept in meta across
    # restarts); empty until then or on a standalone hub (decision 0901).
    central_locale: str = ""
    central_currency: str = ""
    central_day_start: str = ""

    def outlet_locale(self) -> str:
        """Central's outlet locale on an enrolled hub, else this hub's own `locale`."""
        return (self.central_locale if self.cfg.central_enabled else "") or self.cfg.locale

    def outlet_currency(self) -> str:
        """Central's outlet currency on an enrolled hub, else this hub's own `currency`."""
        return (self.central_currency if self.cfg.central_enabled else "") or self.cfg.currency

    def outlet_day_starts_at(self) -> str:
        """Central's trading-day start for the outlet on an enrolled hub, else this hub's own
        `day_starts_at`: the kitchen's "yesterday", the held tickets and the status page's
        "Today" then agree with central's daily summary."""
        return (self.central_day_start if self.cfg.central_enabled else "") or self.cfg.day_starts_at

    def ws_refused(self) -> bool:
        return bool(self.ws_refuse_flag) and os.path.exists(self.ws_refuse_flag)

    def seen_poller(self, client_id: str, client_type: str, remote: str,
                    tenant_ids: list[int]) -> None:
        now = time.time()
        known = self.pollers.get(client_id)
        if known is None:
            self.pollers[client_id] = Poller(client_id, client_type, remote, tenant_ids, now, now)
        else:
            known.last_seen, known.tenant_ids = now, tenant_ids

    def live_pollers(self) -> list[Poller]:
        cutoff = time.time() - POLL_CLIENT_TTL
        for key in [k for k, p in self.pollers.items() if p.last_seen < cutoff]:
            del self.pollers[key]
        return list(self.pollers.values())

    def client_counts(self) -> dict[str, int]:
        counts = self.fanout.counts()
        for p in self.live_pollers():
            counts[p.client_type] = counts.get(p.client_type, 0) + 1
        return counts

    def uptime(self) -> float:
        return time.monotonic() - self.started


CTX: web.AppKey[HubContext] = web.AppKey("hub_context", HubContext)

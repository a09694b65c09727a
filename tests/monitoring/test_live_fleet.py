"""HQ's monitoring against the real thing: Debian's Prometheus scrapes a real central and a
real hub (found through central's HTTP service discovery), a Prometheus agent rendered
from the prometheus_agent role remote-writes a second hub, and orders flow the whole time.
Then every dashboard panel must return data and every rule must evaluate cleanly.

One fleet per module (about 30 s to build); the checks below read from it.
Set MONITORING_SCREENSHOTS=docs/screenshots to keep the rendered panels
(`make monitoring-screenshots`); otherwise they go to a temporary directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.monitoring.agent_role import write_agent_files
from tests.monitoring.fleet_queries import (
    PROMETHEUS_DIR,
    ROOT,
    RULE_FILES,
    SYNTHETIC,
    contract_names,
    exposed_names,
    exposition_base,
    names_in_monitoring,
    panel_queries,
    tool,
)
from tests.support.processes import (
    Central,
    Hub,
    Mosquitto,
    Process,
    free_port,
    http_json,
    wait_for_http,
)

SD_TOKEN = "sd-token-for-tests"
METRICS_TOKEN = "metrics-token-for-tests-42"
AGENT_TOKEN = "agent-token-for-tests"
ADMIN = {"username": "demo", "password": "demo-password-change-me"}  # central.demo's login
# Traffic runs at least this long before the checks, so 1m rate windows hold enough samples.
WARMUP_SECONDS = float(os.environ.get("MONITORING_LIVE_SECONDS", "12"))


@dataclass
class Fleet:
    """Everything the module's checks look at."""

    workdir: Path
    central_url: str = ""
    hq_url: str = ""
    agent_url: str = ""
    hubs: dict[str, Hub] = field(default_factory=dict)
    outlet_without_hub: str = ""
    hq_started_at: float = 0.0
    sd_address_reported: str = ""
    outage: tuple[float, float] = (0.0, 0.0)
    traffic: Traffic | None = None


def get_text(url: str, token: str | None = None) -> str:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as resp:  # loopback only
        return str(resp.read().decode())


def prom_api(base: str, path: str, **params: Any) -> Any:
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    status, body = http_json(url, timeout=10)
    assert status == 200 and body["status"] == "success", (url, status, body)
    return body["data"]


def wait_until(what: str, check: Any, timeout: float = 45.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


# -- orders and screens --------------------------------------------------------------------

class Traffic:
    """Kitchens, a POS and a board on each hub, sending and bumping orders until stopped."""

    def __init__(self, hubs: dict[str, Hub]) -> None:
        self.hubs = hubs
        self.stop = threading.Event()
        self.sent = 0
        self.errors: list[str] = []
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def start(self) -> None:
        self.thread.start()

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(15)

    async def _main(self) -> None:
        async with aiohttp.ClientSession() as session:
            tasks = []
            for outlet, hub in self.hubs.items():
                tasks += [self._kitchen(session, hub, ""), self._kitchen(session, hub, "1"),
                          self._pos(session, hub, outlet), self._board(session, hub)]
            await asyncio.gather(*tasks)

    async def _kitchen(self, session: aiohttp.ClientSession, hub: Hub, tenant: str) -> None:
        query = "client_type=kitchen" + (f"&tenant_id={tenant}" if tenant else "")
        async with session.ws_connect(f"{hub.ws_url}?{query}") as ws:
            while not self.stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await ws.receive(timeout=0.5)

    async def _board(self, session: aiohttp.ClientSession, hub: Hub) -> None:
        url = f"{hub.base}/api/orders?client_type=board&client_id=board-1&since_rev=0&limit=1"
        while not self.stop.is_set():
            async with session.get(url) as resp:
                await resp.read()
            await asyncio.sleep(1.0)

    def _order(self, outlet: str, n: int) -> dict[str, Any]:
        return {"uuid": str(uuidlib.uuid4()), "order_number": f"T{outlet}-{n:04d}",
                "outlet_id": int(outlet), "tenant_id": 1 + n % 2,
                "items": [{"name": "Nasi Goreng", "qty": 1 + n % 3, "price": "30000"}]}

    async def _pos(self, session: aiohttp.ClientSession, hub: Hub, outlet: str) -> None:
        async with session.ws_connect(f"{hub.ws_url}?client_type=pos") as ws:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                order = self._order(outlet, n)
                await ws.send_json({"type": "new_order", "id": str(n), "payload": order})
                await ws.receive(timeout=5)
                self.sent += 1
                # The HTTP path, duplicates, refusals and the kitchen bumping tickets.
                async with session.post(f"{hub.base}/api/orders",
                                        json=self._order(outlet, 10_000 + n)) as resp:
                    await resp.read()
                if n % 3 == 0:
                    await ws.send_json({"type": "new_order", "id": f"dup{n}", "payload": order})
                    await ws.receive(timeout=5)
                    async with session.post(f"{hub.base}/api/orders", json=order) as resp:
                        await resp.read()
                if n % 4 == 0:
                    async with session.post(f"{hub.base}/api/orders",
                                            json={"order_number": f"bad{n}", "items": []}) as r:
                        await r.read()
                for status in ("preparing", "ready"):
                    async with session.patch(f"{hub.base}/api/orders/{order['uuid']}",
                                             json={"status": status}) as resp:
                        if resp.status >= 400:
                            self.errors.append(f"PATCH {status}: {resp.status}")
                await asyncio.sleep(0.25)


# -- the fleet -----------------------------------------------------------------------------

def start_central(workdir: Path, started: list[Process]) -> str:
    """The shared Central process, seeded with the demo food court (outlet 1, its menu)."""
    central = Central(workdir / "central", env={
        "CENTRAL_SD_TOKEN": SD_TOKEN, "CENTRAL_METRICS_TOKEN": METRICS_TOKEN,
        "CENTRAL_HUB_OFFLINE_AFTER": "5",
        "CENTRAL_LOG_LEVEL": "WARNING"})
    central.cli("seed-demo")
    started.append(central)
    central.start()
    return central.base


def admin(central: str) -> dict[str, str]:
    status, body = http_json(f"{central}/api/auth/login", "POST", ADMIN)
    assert status == 200, body
    return {"Authorization": f"Bearer {body['token']}"}


def create_outlet(central: str, headers: dict[str, str], name: str) -> str:
    status, body = http_json(f"{central}/api/tenants/outlets/", "POST", {"name": name},
                             headers=headers)
    assert status == 201, body
    return str(body["id"])


def enrollment_token(central: str, headers: dict[str, str], outlet: str) -> str:
    status, body = http_json(f"{central}/api/outlets/{outlet}/enrollment-tokens", "POST", {},
                             headers=headers)
    assert status == 201, body
    return str(body["token"])


def hub_id(hub: Hub) -> str:
    """The id the hub registers with central (and labels outlet_hub_build_info with)."""
    status, body = http_json(f"{hub.base}/api/outlet")
    assert status == 200, body
    return str(body["hub_id"])


def hq_config(fleet: Fleet, hq_port: int, hub_a: Hub, secrets: Path) -> dict[str, Any]:
    """monitoring/prometheus/prometheus.yml with loopback addresses and 1 s intervals."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"outlet-central", "outlet-hub-sd", "prometheus"}
    config["global"] |= {"scrape_interval": "1s", "scrape_timeout": "1s",
                         "evaluation_interval": "1s"}
    config["rule_files"] = [str(p) for p in RULE_FILES]
    config.pop("alerting")  # the example routes page real services; none is reachable here
    central = urllib.parse.urlsplit(fleet.central_url).netloc
    jobs["outlet-central"]["static_configs"] = [{"targets": [central]}]
    (secrets / "central-metrics-token").write_text(METRICS_TOKEN)
    jobs["outlet-central"]["authorization"]["credentials_file"] = str(
        secrets / "central-metrics-token")
    jobs["prometheus"]["static_configs"] = [{"targets": [f"127.0.0.1:{hq_port}"]}]
    sd = jobs["outlet-hub-sd"]["http_sd_configs"][0]
    (secrets / "central-sd-token").write_text(SD_TOKEN)
    sd |= {"url": f"{fleet.central_url}/api/sd/hubs", "refresh_interval": "1s"}
    sd["authorization"]["credentials_file"] = str(secrets / "central-sd-token")
    # Test-only: hub B reaches HQ through its agent alone; and central lists hubs on the
    # default ops port 3002 while test hubs listen on free ports (see the decision record).
    jobs["outlet-hub-sd"]["relabel_configs"] = [
        {"source_labels": ["outlet_id"], "regex": "1", "action": "keep"},
        {"target_label": "__address__", "replacement": f"127.0.0.1:{hub_a.http_port}"},
    ]
    return config


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    workdir = tmp_path_factory.mktemp("fleet")
    started: list[Process] = []
    fleet = Fleet(workdir)
    try:
        fleet.central_url = start_central(workdir, started)
        headers = admin(fleet.central_url)
        outlet_b = create_outlet(fleet.central_url, headers, "Mall Kiosk")
        fleet.outlet_without_hub = create_outlet(fleet.central_url, headers, "Airport (no hub)")

        broker = Mosquitto(workdir / "mqtt")
        started.append(broker)
        broker.start()
        for outlet, name, mqtt in (("1", "hub-a", broker.url), (outlet_b, "hub-b", "none")):
            hub = Hub(workdir, outlet_id=int(outlet), name=name, env={
                "HUB_CENTRAL_URL": fleet.central_url,
                "HUB_ENROLLMENT_TOKEN": enrollment_token(fleet.central_url, headers, outlet),
                "HUB_HEARTBEAT_SECONDS": "1", "HUB_MQTT_URL": mqtt,
                # A kitchen printer nobody answers for (the discard port): offline, as in a
                # kitchen where it is switched off, so the printer series and alert have data.
                "HUB_PRINTERS": json.dumps([{"name": "grill", "url": "tcp://127.0.0.1:9"}])})
            started.append(hub)
            hub.start()
            fleet.hubs[outlet] = hub

        node_port = free_port()
        node = Process("node-exporter", [tool("prometheus-node-exporter"),
                                         f"--web.listen-address=127.0.0.1:{node_port}"],
                       None, workdir)
        started.append(node)
        node.start()

        # The agent starts before HQ exists: what it scrapes meanwhile waits in its WAL.
        hq_port, agent_port = free_port(), free_port()
        hub_b = fleet.hubs[outlet_b]
        agent_dir = workdir / "agent"
        argv = write_agent_files(
            agent_dir, prometheus_agent_outlet_id=outlet_b,
            prometheus_agent_hub_id=hub_id(hub_b),
            prometheus_agent_remote_write_url=f"http://127.0.0.1:{hq_port}/api/v1/write",
            prometheus_agent_remote_write_bearer_token=AGENT_TOKEN,
            prometheus_agent_scrape_interval="1s",
            prometheus_agent_hub_target=f"127.0.0.1:{hub_b.http_port}",
            prometheus_agent_node_exporter_listen=f"127.0.0.1:{node_port}",
            prometheus_agent_listen_address=f"127.0.0.1:{agent_port}")
        agent = Process("prometheus-agent", [tool("prometheus"), *argv[1:]], None, workdir)
        started.append(agent)
        agent.start()
        fleet.agent_url = f"http://127.0.0.1:{agent_port}"
        wait_for_http(f"{fleet.agent_url}/-/ready", timeout=20)

        fleet.traffic = Traffic(fleet.hubs)
        fleet.traffic.start()
        time.sleep(2)

        secrets = workdir / "secrets"
        secrets.mkdir()
        hq_dir = workdir / "hq"
        hq_dir.mkdir()
        (hq_dir / "prometheus.yml").write_text(
            yaml.safe_dump(hq_config(fleet, hq_port, fleet.hubs["1"], secrets)))
        hq_argv = [tool("prometheus"), f"--config.file={hq_dir / 'prometheus.yml'}",
                   f"--storage.tsdb.path={hq_dir / 'data'}",
                   f"--web.listen-address=127.0.0.1:{hq_port}",
                   "--web.enable-remote-write-receiver"]
        fleet.hq_started_at = time.time()
        hq = Process("prometheus-hq", hq_argv, None, workdir)
        started.append(hq)
        hq.start()
        fleet.hq_url = f"http://127.0.0.1:{hq_port}"
        wait_for_http(f"{fleet.hq_url}/-/ready", timeout=30)
        wait_until("central, the discovered hub and the agent's hub at HQ", lambda: len(hq_query(
            fleet, 'up{job=~"outlet-central|outlet-hub-sd"} == 1 or outlet_hub_build_info')) == 4)

        # An outage of HQ (or the outlet's uplink): the agent keeps its samples and sends
        # them when HQ is back.
        hq.kill()
        fleet.outage = (time.time(), 0.0)
        time.sleep(5)
        fleet.outage = (fleet.outage[0], time.time())
        hq = Process("prometheus-hq-restarted", hq_argv, None, workdir)
        started.append(hq)
        hq.start()
        wait_for_http(f"{fleet.hq_url}/-/ready", timeout=30)

        _, sd = http_json(f"{fleet.central_url}/api/sd/hubs",
                          headers={"Authorization": f"Bearer {SD_TOKEN}"})
        fleet.sd_address_reported = next(
            (g["targets"][0] for g in sd if g["labels"].get("outlet_id") == "1"), "")
        time.sleep(WARMUP_SECONDS)
        yield fleet
    finally:
        if fleet.traffic:
            fleet.traffic.finish()
        for proc in reversed(started):
            proc.kill()


def hq_query(fleet: Fleet, expr: str, at: float | None = None) -> list[dict[str, Any]]:
    params = {"query": expr} | ({"time": f"{at:.3f}"} if at else {})
    return list(prom_api(fleet.hq_url, "/api/v1/query", **params)["result"])


# -- the checks ----------------------------------------------------------------------------

def test_hq_scrapes_central_and_the_hub_central_discovers(fleet: Fleet) -> None:
    # Each target's health is its last scrape's; with 1 s timeouts a slow second on a busy
    # host can fail one, so the check waits for a scrape where both are up (45 s at most).
    def both_up() -> list[dict[str, Any]] | None:
        targets = prom_api(fleet.hq_url, "/api/v1/targets", state="active")["activeTargets"]
        health = {(t["labels"]["job"], t["labels"].get("outlet_id", "")): t["health"]
                  for t in targets}
        wanted = health.get(("outlet-central", "")), health.get(("outlet-hub-sd", "1"))
        return list(targets) if wanted == ("up", "up") else None

    targets = wait_until("central and the discovered hub up at HQ", both_up)
    hub_target = next(t for t in targets if t["labels"]["job"] == "outlet-hub-sd")
    assert hub_target["labels"]["hub_id"] == hub_id(fleet.hubs["1"])
    assert fleet.sd_address_reported, "central's /api/sd/hubs listed no hub for outlet 1"


def test_agent_rendered_from_the_role_pushes_its_hub_and_node_exporter(fleet: Fleet) -> None:
    pushed = hq_query(fleet, 'outlet_hub_build_info{job="outlet-hub"}')
    assert [s["metric"]["outlet_id"] for s in pushed] == ["2"], pushed
    hub_b = hub_id(fleet.hubs["2"])
    assert pushed[0]["metric"]["hub_id"] == hub_b
    node = hq_query(fleet, f'up{{job="node", outlet_id="2", hub_id="{hub_b}"}} == 1')
    assert node, "node exporter's samples did not arrive through the agent"
    dropped = hq_query(fleet, '{__name__=~"go_.*", job="outlet-hub"}')
    assert dropped == [], "write_relabel_configs should drop go_* before the uplink"


def test_samples_scraped_while_hq_was_down_arrive_from_the_agents_wal(fleet: Fleet) -> None:
    down, up = fleet.outage
    expr = f'count_over_time(outlet_hub_time_seconds{{job="outlet-hub"}}[{int(up - down) - 1}s])'
    during = hq_query(fleet, expr, at=up - 0.5)
    # Scraped every second by the agent while HQ was dead; HQ itself scraped nothing then.
    assert during and float(during[0]["value"][1]) >= 3, during
    own = hq_query(fleet, expr.replace('job="outlet-hub"', 'job="outlet-hub-sd"'), at=up - 0.5)
    assert own == [], own


def test_every_rule_loads_and_evaluates_without_error(fleet: Fleet) -> None:
    def evaluated() -> list[dict[str, Any]] | None:
        groups = prom_api(fleet.hq_url, "/api/v1/rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        done = all(r.get("lastEvaluation", "").startswith("20") for r in rules)
        return rules if done and rules else None

    rules = wait_until("every rule evaluated", evaluated, 20)
    broken = {r["name"]: r.get("lastError") for r in rules if r["health"] != "ok"}
    assert broken == {}
    assert len(rules) == sum(len(yaml.safe_load(p.read_text())["groups"][i]["rules"])
                             for p in RULE_FILES
                             for i in range(len(yaml.safe_load(p.read_text())["groups"])))


def test_outlet_without_hub_and_healthy_hubs_show_the_expected_alert_states(fleet: Fleet) -> None:
    # One evaluation's states: a scrape of central that timed out on a busy host puts
    # CentralDown in `pending` (its `for: 5m` keeps it from firing) until the next good one,
    # so the check waits for an evaluation with the expected states. A rule that is wrong
    # in every evaluation still fails it.
    healthy = ("HubDown", "HubNotSyncing", "CentralDown", "OrderFanoutSlow")

    def states() -> dict[tuple[str, str | None], str]:
        alerts = prom_api(fleet.hq_url, "/api/v1/alerts")["alerts"]
        return {(a["labels"]["alertname"], a["labels"].get("outlet_id")): a["state"]
                for a in alerts}

    def expected(now: dict[tuple[str, str | None], str]) -> bool:
        return (now.get(("OutletWithoutHub", fleet.outlet_without_hub)) == "pending"
                and not [k for k in now if k[0] in healthy])

    last: dict[tuple[str, str | None], str] = {}

    def settled() -> bool:
        nonlocal last
        last = states()
        return expected(last)

    with contextlib.suppress(AssertionError):
        wait_until("the expected alert states", settled, 30)
    assert last.get(("OutletWithoutHub", fleet.outlet_without_hub)) == "pending", last
    for name in healthy:
        assert not [k for k in last if k[0] == name], (name, last)


def test_every_dashboard_panel_query_returns_data(fleet: Fleet) -> None:
    empty = []
    for query in panel_queries():
        result = hq_query(fleet, query.promql(outlet_id="1"))
        values = [float(s["value"][1]) for s in result]
        if not any(math.isfinite(v) for v in values):
            empty.append(f"{query.dashboard} / {query.panel}: {query.expr} -> {values}")
    assert empty == [], "panels without data:\n" + "\n".join(empty)


def test_outlet_detail_works_for_the_agent_pushed_outlet_too(fleet: Fleet) -> None:
    outlet_b = next(k for k in fleet.hubs if k != "1")
    for query in panel_queries():
        if query.dashboard == "outlet-detail.json" and "mqtt" not in query.expr:
            result = hq_query(fleet, query.promql(outlet_id=outlet_b))
            assert result, f"{query.panel}: {query.expr}"


def live_exposition(fleet: Fleet) -> dict[str, str]:
    texts = {f"hub outlet {k}": get_text(f"{h.ops}/metrics") for k, h in fleet.hubs.items()}
    texts["central"] = get_text(f"{fleet.central_url}/metrics", METRICS_TOKEN)
    return texts


def test_every_metric_name_in_rules_and_dashboards_exists_in_live_metrics(fleet: Fleet) -> None:
    exposed = set().union(*map(exposed_names, live_exposition(fleet).values()))
    missing = {name: sorted(users) for name, users in names_in_monitoring().items()
               if name not in exposed}
    assert missing == {}


def test_every_name_in_the_metrics_contract_is_exposed_live(fleet: Fleet) -> None:
    exposed = set().union(*map(exposed_names, live_exposition(fleet).values()))
    seen = {base for name in exposed for base in exposition_base(name)}
    assert sorted(contract_names() - seen - SYNTHETIC) == []


@pytest.mark.parametrize("source", ["hub", "central"])
def test_live_metrics_pass_promtool_check_metrics(fleet: Fleet, source: str) -> None:
    texts = live_exposition(fleet)
    text = next(v for k, v in texts.items() if k.startswith(source))
    proc = subprocess.run([tool("promtool"), "check", "metrics"], input=text,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_traffic_flowed_without_errors(fleet: Fleet) -> None:
    assert fleet.traffic is not None
    assert fleet.traffic.sent >= 10
    assert fleet.traffic.errors == []


def test_dashboards_render_to_png_from_live_prometheus(fleet: Fleet, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "monitoring"))
    try:
        import render_panels
    finally:
        sys.path.pop(0)
    out = Path(os.environ.get("MONITORING_SCREENSHOTS") or tmp_path)
    if not out.is_absolute():
        out = ROOT / out
    window = min(300.0, time.time() - fleet.hq_started_at + 5)
    paths = render_panels.render_all(fleet.hq_url, out, "1", "1m", window)
    assert [p.name for p in paths] == ["grafana-fleet.png", "grafana-outlet.png"]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 30_000, path
    json.dumps([str(p) for p in paths])

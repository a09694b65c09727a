"""Central benchmark on PostgreSQL: ingestion, backlog drain, menu sync, fleet simulation. JSON out.

    .venv/bin/python bench/central_bench.py                      # everything (~3-4 min)
    .venv/bin/python bench/central_bench.py --only menu,ingest
    .venv/bin/python bench/central_bench.py --hubs 2000 --fleet-seconds 60
    .venv/bin/python bench/central_bench.py --only fleet --hubs 10000 --processes 4 --proxy

Starts one real `outlet-central` (or `--processes N` of them on one database, with
`--proxy` behind nginx rendered from the reverse_proxy role, over HTTPS) on a fresh
PostgreSQL database (127.0.0.1:5432) and drives it with light aiohttp clients from this
process. Client, server and PostgreSQL
share the machine, so the numbers are a floor for a dedicated HQ box.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import ssl
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.central.conftest import PgDatabase  # noqa: E402
from tests.support.hq_proxy import HqProxy  # noqa: E402
from tests.support.processes import Central  # noqa: E402


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, in milliseconds, 2 decimals."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def make_order(hub: str, n: int, outlet_id: int) -> dict[str, Any]:
    return {"uuid": f"{hub}-{n}", "order_number": f"K-{n:05d}", "outlet_id": outlet_id,
            "status": "pending", "id": n, "rev": n, "source": "kiosk",
            "created_at": "2026-01-03T10:30:00Z", "tenant_id": None, "customer_name": "Ayu",
            "items": [{"product_id": 7, "name": "Margherita", "qty": 2, "price": "45000",
                       "modifiers": ["extra cheese"], "notes": "", "station": "oven"},
                      {"product_id": 9, "name": "Es Teh", "qty": 1, "price": "8000"}],
            "total_amount": "98000", "order_type": "dine_in"}


class Client:
    """Admin + hub helpers over one aiohttp session."""

    def __init__(self, base: str, http: aiohttp.ClientSession, admin: str) -> None:
        self.base, self.http, self.admin = base, http, admin

    async def attempt(self, method: str, path: str, body: Any, token: str,
                      failures: dict[str, int]) -> int:
        """A fleet request that counts a transport failure (timeout, reset) instead of
        ending the run; returns the status, 0 for a transport failure."""
        try:
            status, _ = await self.call(method, path, body, token)
            return status
        except (aiohttp.ClientError, TimeoutError) as exc:
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
            return 0

    async def call(self, method: str, path: str, body: Any = None,
                   token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.base + path, json=body,
                                     headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def enroll(self, outlet_id: int, hub_id: str) -> str:
        _, tok = await self.call("POST", f"/api/outlets/{outlet_id}/enrollment-tokens",
                                 token=self.admin)
        status, body = await self.call("POST", "/api/hubs/register", {
            "enrollment_token": tok["token"], "hub_id": hub_id, "outlet_id": outlet_id,
            "websocket_url": f"ws://10.{outlet_id // 250 % 250}.{outlet_id % 250}.2:3001/ws",
            "addresses": [f"10.{outlet_id // 250 % 250}.{outlet_id % 250}.2"],
            "version": "bench"})
        assert status == 200, body
        return str(body["hub_token"])

    async def outlets(self, n: int) -> list[int]:
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> int:
            async with sem:
                _, body = await self.call("POST", "/api/tenants/outlets/",
                                          {"name": f"Outlet {i}"}, self.admin)
                return int(body["id"])
        return list(await asyncio.gather(*(one(i) for i in range(n))))


async def bench_ingest(c: Client, total: int, hubs: int, batch: int) -> dict[str, Any]:
    """Orders/s through /api/hubs/orders: `hubs` concurrent hubs, one batch in flight each."""
    outlets = await c.outlets(hubs)
    tokens = [await c.enroll(o, f"ing-{o}") for o in outlets]
    per_hub = total // hubs
    lat: list[float] = []

    async def drain(i: int) -> None:
        for start in range(0, per_hub, batch):
            orders = [make_order(f"ing{i}", n, outlets[i])
                      for n in range(start + 1, start + batch + 1)]
            t = time.perf_counter()
            status, body = await c.call("POST", "/api/hubs/orders", {"orders": orders}, tokens[i])
            lat.append(time.perf_counter() - t)
            assert status == 200 and all(r["result"] == "created" for r in body["results"])

    t0 = time.perf_counter()
    await asyncio.gather(*(drain(i) for i in range(hubs)))
    elapsed = time.perf_counter() - t0
    return {"orders": per_hub * hubs, "batch": batch, "concurrent_hubs": hubs,
            "seconds": round(elapsed, 2), "orders_per_second": round(per_hub * hubs / elapsed),
            "batch_p50_ms": pct(lat, 0.5), "batch_p99_ms": pct(lat, 0.99)}


async def bench_drain(c: Client, total: int, batch: int) -> dict[str, Any]:
    """One hub's backlog, sent the way its outbox does: one batch at a time, in order."""
    (outlet,) = await c.outlets(1)
    token = await c.enroll(outlet, "drain")
    t0 = time.perf_counter()
    for start in range(0, total, batch):
        orders = [make_order("drain", n, outlet) for n in range(start + 1, start + batch + 1)]
        status, _ = await c.call("POST", "/api/hubs/orders", {"orders": orders}, token)
        assert status == 200
    elapsed = time.perf_counter() - t0
    return {"orders": total, "batch": batch, "seconds": round(elapsed, 2),
            "orders_per_second": round(total / elapsed)}


async def bench_menu(c: Client, products: int) -> dict[str, Any]:
    """Full sync of `products` from version 0, then one changed price."""
    (outlet,) = await c.outlets(1)
    _, tenant = await c.call("POST", "/api/tenants/", {"outlet_id": outlet, "name": "Menu"},
                             c.admin)
    rows = [{"tenant_id": tenant["id"], "name": f"Dish {i}", "price": str(1000 + i),
             "description": "A dish with a description of ordinary length."}
            for i in range(products)]
    status, made = await c.call("POST", "/api/products/bulk", {"products": rows}, c.admin)
    assert status == 201, made

    async def sync(since: int) -> tuple[int, int, int]:
        got = pages = 0
        while True:
            _, page = await c.call("GET", f"/api/products/?since_version={since}"
                                   f"&outlet_id={outlet}")
            got += len(page["products"]) + len(page["deleted"])
            pages += 1
            since = page["current_version"]
            if not page["has_more"]:
                return got, pages, since

    fulls = []
    for _ in range(3):
        t = time.perf_counter()
        got, pages, version = await sync(0)
        fulls.append(time.perf_counter() - t)
        assert got == products
    incs = []
    for i in range(20):
        await c.call("PATCH", f"/api/products/{made['products'][i]['id']}/",
                     {"price": str(50_000 + i)}, c.admin)
        t = time.perf_counter()
        got, _, version = await sync(version)
        incs.append(time.perf_counter() - t)
        assert got == 1
    return {"products": products, "pages": pages,
            "full_sync_seconds_median": round(statistics.median(fulls), 3),
            "incremental_one_change_ms_median": pct(incs, 0.5),
            "incremental_one_change_ms_p99": pct(incs, 0.99)}


def cpu_seconds(procs: list[psutil.Process]) -> float:
    """User + system CPU of `procs` and their children (nginx workers, PostgreSQL backends)."""
    total = 0.0
    for p in procs:
        try:
            family = [p, *p.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for q in family:
            try:
                times = q.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
    return total


def postgres_procs() -> list[psutil.Process]:
    """PostgreSQL's postmaster (its backends are its children; a backend that exits during
    the run takes its CPU along, so this is a floor)."""
    out = []
    for p in psutil.process_iter(["name"]):
        try:
            if p.info["name"] == "postgres" and p.parent() is not None \
                    and p.parent().name() != "postgres":
                out.append(p)
        except psutil.NoSuchProcess:
            continue
    return out


def server_view(texts: list[str]) -> dict[str, Any]:
    """From central's own /metrics (summed over processes): the heartbeat handler's time as
    central saw it (bucket bounds, so "p99 <= X s") and the mean heartbeat batch size. It
    excludes the client's own scheduling delay, which on a loaded machine is most of a tail."""
    buckets: dict[float, float] = {}
    batch_sum = batch_count = 0.0
    for text in texts:
        for line in text.splitlines():
            name, _, value = line.rpartition(" ")
            if name.startswith("outlet_central_http_request_duration_seconds_bucket{") \
                    and 'route="/api/hubs/heartbeat"' in name and 'method="POST"' in name:
                le = name.split('le="')[1].split('"')[0]
                bound = float("inf") if le == "+Inf" else float(le)
                buckets[bound] = buckets.get(bound, 0.0) + float(value)
            elif name == "outlet_central_heartbeat_batch_size_sum":
                batch_sum += float(value)
            elif name == "outlet_central_heartbeat_batch_size_count":
                batch_count += float(value)
    total = buckets.get(float("inf"), 0.0)

    def upper(q: float) -> float | None:
        for bound in sorted(buckets):
            if total and buckets[bound] >= q * total:
                return bound
        return None
    return {"heartbeats_handled": int(total), "heartbeat_p50_le_seconds": upper(0.5),
            "heartbeat_p99_le_seconds": upper(0.99),
            "heartbeat_batches": int(batch_count),
            "heartbeat_batch_mean": round(batch_sum / batch_count, 1) if batch_count else None}


async def bench_fleet(c: Client, procs: dict[str, list[psutil.Process]], hubs: int, interval: float,
                      seconds: float, orders_per_hub_per_minute: float) -> dict[str, Any]:
    """`hubs` simulated hubs heartbeating every `interval` s and forwarding lunch orders."""
    outlets = await c.outlets(hubs)
    sem = asyncio.Semaphore(32)

    async def enroll(o: int) -> str:
        async with sem:
            return await c.enroll(o, f"fleet-{o}")
    tokens = list(await asyncio.gather(*(enroll(o) for o in outlets)))
    beat_lat: list[float] = []
    order_lat: list[float] = []
    errors = 0
    statuses: dict[str, int] = {}   # non-200 answers by path and status, to read the errors
    failures: dict[str, int] = {}
    deadline = time.monotonic() + seconds

    async def hub(i: int) -> None:
        nonlocal errors
        await asyncio.sleep(interval * i / hubs)  # spread the fleet over one interval
        n = 0
        next_beat = time.monotonic()
        order_gap = 60.0 / orders_per_hub_per_minute
        next_order = time.monotonic() + order_gap * ((i * 7919) % hubs) / hubs
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_beat:
                t = time.perf_counter()
                status = await c.attempt("POST", "/api/hubs/heartbeat", {
                    "hub_id": f"fleet-{outlets[i]}", "version": "bench",
                    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "uptime_seconds": 100, "clients": {"kitchen": 2, "pos": 1, "display": 1},
                    "kitchens_connected": 2, "outbox_pending": 0, "mqtt": "connected",
                    "oldest_unsynced_age_seconds": 0, "menu_version": 1, "last_rev": n},
                    tokens[i], failures)
                beat_lat.append(time.perf_counter() - t)
                errors += note_status(statuses, "heartbeat", status)
                next_beat += interval
            if now >= next_order:
                n += 1
                t = time.perf_counter()
                status = await c.attempt("POST", "/api/hubs/orders", {"orders": [
                    make_order(f"fleet{i}", n, outlets[i])]}, tokens[i], failures)
                order_lat.append(time.perf_counter() - t)
                errors += note_status(statuses, "orders", status)
                next_order += order_gap
            await asyncio.sleep(max(0.0, min(next_beat, next_order) - time.monotonic()))

    procs = dict(procs, postgres=postgres_procs(), client=[psutil.Process()])
    cpu0 = {k: cpu_seconds(v) for k, v in procs.items()}
    load0 = os.getloadavg()
    t0 = time.monotonic()
    await asyncio.gather(*(hub(i) for i in range(hubs)))
    wall = time.monotonic() - t0
    cores = {k: round((cpu_seconds(v) - cpu0[k]) / wall, 3) for k, v in procs.items()}
    cpu = cores["central"]
    rps = (len(beat_lat) + len(order_lat)) / wall
    return {"hubs": hubs, "heartbeat_interval_s": interval, "seconds": round(wall, 1),
            "orders_per_hub_per_minute": orders_per_hub_per_minute,
            "requests_per_second": round(rps, 1), "errors": errors,
            "transport_failures": failures, "error_statuses": statuses,
            "heartbeat_p50_ms": pct(beat_lat, 0.5), "heartbeat_p99_ms": pct(beat_lat, 0.99),
            "order_p50_ms": pct(order_lat, 0.5), "order_p99_ms": pct(order_lat, 0.99),
            "heartbeats": len(beat_lat), "orders": len(order_lat),
            "heartbeats_per_second": round(len(beat_lat) / wall, 1),
            "cpu_cores": cores, "load_average_before": [round(x, 2) for x in load0],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "central_cpu_cores": round(cpu, 3),
            "central_cpu_per_hub_cores": round(cpu / hubs, 6),
            "hubs_per_process_at_70pct_core": int(0.7 / (cpu / hubs)) if cpu else None}


def note_status(statuses: dict[str, int], what: str, status: int) -> bool:
    """Count a non-200 answer under "<what> <status>"; True when it is one."""
    if status == 200:
        return False
    key = f"{what} {status}"
    statuses[key] = statuses.get(key, 0) + 1
    return True


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    db = PgDatabase()
    db.create()
    work = Path(args.workdir).resolve()  # nginx -p takes the prefix, -c must not repeat it
    work.mkdir(parents=True, exist_ok=True)
    env = {"CENTRAL_LOG_LEVEL": "WARNING", "CENTRAL_TRUSTED_PROXIES": "127.0.0.1/32"}
    centrals = [Central(work, db.url, env=env, name=f"central-bench-{n}")
                for n in range(args.processes)]
    proxy = HqProxy(work / "nginx", [f"127.0.0.1:{p.port}" for p in centrals],
                    worker_processes=2) if args.proxy else None
    result: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "platform": platform.platform()},
                              "database": "postgresql", "started": time.strftime("%FT%TZ"),
                              "central_processes": args.processes,
                              "client_connections": args.connections or "unbounded",
                              "proxy": "nginx (reverse_proxy role), HTTPS" if proxy else None}
    try:
        # Started inside the try: a proxy that fails to start must not leave centrals behind.
        for proc in centrals:
            proc.start()
        if proxy is not None:
            proxy.start()
        admin = centrals[0].admin_token()
        only = set(args.only.split(",")) if args.only else {"ingest", "drain", "menu", "fleet"}
        tls: ssl.SSLContext | bool = True
        if proxy is not None:
            tls = ssl.create_default_context(cafile=str(proxy.cert))
        # --connections bounds the client's pool (a real hub holds one keep-alive connection;
        # thousands of TLS handshakes at once from one Python process measure the client).
        conn = aiohttp.TCPConnector(limit=args.connections, ssl=tls)
        async with aiohttp.ClientSession(connector=conn) as http:
            c = Client(proxy.base if proxy else centrals[0].base, http, admin)
            procs = {"central": [psutil.Process(p.proc.pid if p.proc else 0) for p in centrals]}
            if proxy is not None:
                procs["nginx"] = [psutil.Process(proxy.proc.pid if proxy.proc else 0)]
            if "menu" in only:
                result["menu"] = await bench_menu(c, args.products)
            if "ingest" in only:
                result["ingest"] = await bench_ingest(c, args.orders, args.ingest_hubs, 100)
            if "drain" in only:
                result["drain"] = await bench_drain(c, args.drain_orders, args.drain_batch)
            if "fleet" in only:
                result["fleet"] = await bench_fleet(c, procs, args.hubs, args.interval,
                                                    args.fleet_seconds, args.lunch_rate)
                texts = []
                for proc in centrals:
                    async with http.get(proc.base + "/metrics") as resp:
                        texts.append(await resp.text())
                result["fleet"]["central_view"] = server_view(texts)
    finally:
        if proxy is not None:
            proxy.kill()
        for proc in centrals:
            proc.kill()
        db.drop()
    result["run_id"] = uuid.uuid4().hex[:8]
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--only", help="comma list of menu,ingest,drain,fleet")
    p.add_argument("--products", type=int, default=10_000)
    p.add_argument("--orders", type=int, default=20_000)
    p.add_argument("--ingest-hubs", type=int, default=4)
    p.add_argument("--drain-orders", type=int, default=50_000)
    p.add_argument("--drain-batch", type=int, default=100)
    p.add_argument("--hubs", type=int, default=2000)
    p.add_argument("--interval", type=float, default=15.0)
    p.add_argument("--fleet-seconds", type=float, default=60.0)
    p.add_argument("--lunch-rate", type=float, default=1.0,
                   help="orders per hub per minute (busy lunch at a food-court stall)")
    p.add_argument("--processes", type=int, default=1, help="central processes on one database")
    p.add_argument("--proxy", action="store_true",
                   help="put the role's nginx (HTTPS) in front of the processes")
    p.add_argument("--connections", type=int, default=0,
                   help="client connection pool size (0: one per concurrent request)")
    p.add_argument("--workdir", default="var/bench-central")
    p.add_argument("--out", help="also write the JSON here")
    args = p.parse_args()
    result = asyncio.run(main_async(args))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()

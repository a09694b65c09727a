"""Print the hub-vs-peer markdown table of a bench/run.py result file.

    .venv/bin/python bench/report.py bench/results/<date>.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _cpu(r: dict[str, Any], rate: str) -> str:
    c = r.get("verdict", {}).get(f"cpu_per_order_at_{rate}_le_2x_peer")
    if not c:
        return ""
    return f"; CPU/order {c['ratio']}x the peer's (≤ 2x: {'yes' if c['met'] else '**no**'})"


def _lat(r: dict[str, Any], server: str, rate: str) -> str:
    run = r.get("latency", {}).get(server, {}).get(rate)
    if not run:
        return "-"
    lat = run["latency_ms"]
    acc = "all" if run["all_accounted"] else f"{run['received']}/{run['expected']}"
    return (f"{lat['p50']:.1f} / {lat['p99']:.1f} ms ({acc} delivered, "
            f"{run.get('cpu_ms_per_order_median', run.get('server_cpu_ms_per_order'))} ms CPU/order)")


def neighbour_line(r: dict[str, Any]) -> list[str]:
    """A run with `--neighbour` is not a quiet-machine run: say so above its table."""
    n = r.get("meta", {}).get("neighbour")
    if not n:
        return []
    per_run = [run["neighbour_cpu_pct_of_one_core"] for s in r.get("latency", {}).values()
               for run in s.values() if "neighbour_cpu_pct_of_one_core" in run]
    spread = f", {min(per_run)} to {max(per_run)} % of a core during the latency runs" if per_run else ""
    return [f"With a busy neighbour asked to keep {n['cores_asked']:g} of the cores busy "
            f"({n['processes']} process(es); it used {n['cores_used']} cores over the run{spread}). "
            "Not the issue's quiet-machine bars: read the hub against the peer under the same load.", ""]


def table(r: dict[str, Any]) -> str:
    rows = [*neighbour_line(r), "| measurement | hub | seed peer | target (hub) | met |",
            "|---|---|---|---|---|"]
    v = r.get("verdict", {})

    def met(key: str) -> str:
        return "-" if key not in v else ("yes" if v[key].get("met") else "**no**")

    bars = {"50": ("p99_at_50_le_peer", "p99 ≤ peer"), "200": ("p99_at_200_le_peer", "p99 ≤ peer"),
            "1000": ("p99_at_1000_le_5ms", "p99 ≤ 5 ms")}
    for rate in r.get("latency", {}).get("hub", bars):
        key, target = bars.get(rate, ("", "(no p99 bar)"))
        rows.append(f"| p50 / p99 latency at {rate} orders/s, 20 kitchens, 5 POS | {_lat(r, 'hub', rate)} | "
                    f"{_lat(r, 'peer', rate)} | {target}; CPU/order ≤ 2x peer | {met(key)}{_cpu(r, rate)} |")
    if "steps" in r:
        s = r["steps"]
        rows.append(f"| highest rate with p99 ≤ 50 ms for 10 s | {s['hub']['max_sustained_rate']:g}/s "
                    f"(fails at {s['hub']['first_failing_rate']}) | {s['peer']['max_sustained_rate']:g}/s "
                    f"(fails at {s['peer']['first_failing_rate']}) | ≥ peer | "
                    f"{met('max_sustained_rate_ge_peer')} |")
    if "restart" in r:
        x = r["restart"]
        rows.append(f"| {x['kitchens']} kitchens caught up after hub SIGKILL + restart "
                    f"({x['missed_orders']} missed orders each) | "
                    f"{x['all_caught_up_after_health_ms']} ms after /health 200; {x['complete_kitchens']}/"
                    f"{x['kitchens']} complete, {x['duplicates']} duplicates | "
                    f"n/a (in-memory, loses everything) | "
                    f"≤ 0.5 s | {met('restart_all_caught_up_le_0_5s')} |")
    if "poll" in r:
        h, p = r["poll"]["hub"], r["poll"]["peer"]
        rows.append(f"| polling, 50 concurrent ({h['client']}), 10 orders/response | "
                    f"{h['requests_per_s']:.0f} req/s, "
                    f"p99 {h['latency_ms']['p99']:.1f} ms | {p['requests_per_s']:.0f} req/s, "
                    f"p99 {p['latency_ms']['p99']:.1f} ms | ≥ 10,000 req/s and ≥ 0.5x peer | "
                    f"{met('poll_ge_10000_rps_and_half_peer')} |")
    if "idle" in r:
        i = r["idle"]
        cold = ", ".join(f"{k.removeprefix('after_')} {v} µs" for k, v in i["cold_page_us"].items())
        rows.append(f"| CPU with no client, {i['window_s']:g} s (this host's cost per cold page: {cold}) | "
                    f"{i['hub']['cpu_ms_per_s']} ms/s | {i['peer']['cpu_ms_per_s']} ms/s | "
                    f"(measured, no bar) | - |")
    if "memory" in r:
        h, p = r["memory"]["hub"], r["memory"]["peer"]
        rows.append(f"| RSS with 200 clients (idle RSS) | {h['rss_connected_mb']} MB ({h['rss_idle_mb']}) | "
                    f"{p['rss_connected_mb']} MB ({p['rss_idle_mb']}) | ≤ peer + 10 MB | "
                    f"{met('rss_200_clients_le_peer_plus_10mb')} |")
    if "startup" in r:
        h, p = r["startup"]["hub"], r["startup"]["peer"]
        rows.append(f"| start → /health 200 (median, max) | {h['median_s']} s, {h['max_s']} s | "
                    f"{p['median_s']} s | "
                    f"≤ 0.5 s (median) | {met('startup_le_0_5s')} |")
    rows.extend(floor_table(r))
    m = r["meta"]
    rows.append("")
    rows.append(f"Run {m['started']} → {m['finished']}, commit {m['git_commit']}, {m['cpus']} CPUs, "
                f"load average at start {m['loadavg_start']}, at end {m['loadavg_end']}.")
    return "\n".join(rows)


def floor_table(r: dict[str, Any]) -> list[str]:
    """The durable peer (the in-memory peer + one write and fdatasync per order) asked the
    same latency and CPU questions: the floor durability sets on this host."""
    floor = r.get("durable_floor")
    if not floor:
        return []
    rows = ["", "| rate | durable peer p50 / p99 (CPU/order) | its p99 ≤ peer's | its CPU ≤ 2x peer's "
                "| hub CPU ÷ durable peer's |", "|---|---|---|---|---|"]
    yes = {True: "yes", False: "**no**", None: "-"}
    for rate, f in floor.items():
        rows.append(f"| {rate}/s | {_lat(r, 'durable-peer', rate)} | "
                    f"{yes[f['durable_peer_p99_le_peer']]} ({f['durable_peer_p99_ms']:.1f} vs "
                    f"{f['peer_p99_ms']:.1f} ms) | {yes[f['durable_peer_cpu_le_2x_peer']]} "
                    f"({f['durable_peer_cpu_ratio_to_peer']}x) | "
                    f"{f.get('hub_cpu_ratio_to_durable_peer', '-')}x |")
    return rows


def main() -> int:
    print(table(json.loads(Path(sys.argv[1]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

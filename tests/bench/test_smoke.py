"""The load generator itself is tested: a seconds-long `bench/run.py --smoke` against the real
hub and the seed peer must account for every delivery. Timing is never asserted here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]

def test_smoke_accounts_for_every_delivery(tmp_path: Path) -> None:
    assert shutil.which("node"), "Node.js is required (the seed peer and the load generator)"
    out = tmp_path / "smoke.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--poll-client", "node",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-4000:]
    r = json.loads(out.read_text())

    for server in ("hub", "peer"):
        for rate, run in r["latency"][server].items():
            assert run["all_accounted"], (server, rate, run)
            assert run["received"] == run["expected"] == run["sent"] * run["kitchens"]
            assert run["duplicates"] == 0 and run["missing"] == 0
        assert r["memory"][server]["all_accounted"], r["memory"][server]
        assert r["memory"][server]["connections_seen_by_server"] == r["memory"][server]["clients"]
        assert r["poll"][server]["ok"] > 0 and r["poll"][server]["non_200_or_errors"] == 0
        assert r["poll"][server]["orders_per_response"] > 0
    hub = r["latency"]["hub"]["50"]
    assert hub["acked"] == hub["sent"] and hub["errors"] == {} and hub["out_of_order"] == 0

    # The durable peer (the floor of durability): every order it broadcast, it had written
    # and fdatasynced first, by its own count; and the floor comparison is drawn from it.
    floor = r["latency"]["durable-peer"]["50"]
    assert floor["all_accounted"] and floor["durable_orders"] == floor["sent"] > 0, floor
    assert floor["received"] == floor["sent"] * floor["kitchens"]
    assert set(r["durable_floor"]["50"]) >= {"durable_peer_p99_le_peer", "hub_cpu_ratio_to_durable_peer"}

    idle = r["idle"]                 # measured, never judged: present and sane
    assert idle["hub"]["cpu_ms_per_s"] >= 0 and idle["peer"]["cpu_ms_per_s"] >= 0
    assert set(idle["cold_page_us"]) == {"after_0.001s", "after_0.1s", "after_1s"}

    restart = r["restart"]
    assert restart["all_accounted"], restart
    assert restart["complete_kitchens"] == restart["kitchens"]
    assert restart["replayed_per_kitchen_min"] == restart["missed_orders"]
    assert restart["acked"] == restart["live_orders"] + restart["missed_orders"]
    # The catch-up's wall time is read beside the hub's and the generator's own CPU.
    assert restart["hub_cpu_ms_after_health"] >= 0
    assert restart["loadgen_cpu_ms_after_health"] > 0
    assert 0 <= restart["loadgen_loop_busy_after_health"] <= 1
    assert r["startup"]["hub"]["max_s"] > 0


def test_neighbour_competes_and_is_stopped(tmp_path: Path) -> None:
    """`--neighbour`: the busy neighbour really runs beside every latency run, is measured,
    and is gone when the bench ends (a left-over spinner would skew every later test)."""
    out = tmp_path / "neighbour.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--only", "latency",
                           "--rates", "50,100", "--neighbour", "0.25", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-4000:]
    r = json.loads(out.read_text())
    n = r["meta"]["neighbour"]
    assert n["cores_asked"] == 0.25 and n["processes"] == 1 and n["cores_used"] > 0
    assert not [p for p in n["pids"] if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    assert r["meta"]["config"]["rates"] == [50.0, 100.0]
    for server in ("hub", "peer", "durable-peer"):
        assert set(r["latency"][server]) == {"50", "100"}
        for run in r["latency"][server].values():
            assert run["all_accounted"], run
            assert run["neighbour_cpu_pct_of_one_core"] > 0, run
    # The report says the run was not a quiet one, above its table.
    report = subprocess.run([sys.executable, str(ROOT / "bench" / "report.py"), str(out)],
                            capture_output=True, text=True, check=True).stdout
    assert report.startswith("With a busy neighbour asked to keep 0.25 of the cores busy")


def test_neighbour_refuses_more_cores_than_the_host_has() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--only", "latency",
                           "--neighbour", "999", "--out", "-"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "--neighbour" in proc.stderr

"""`make demo`: one outlet on a laptop — central with a demo food court and an enrolled hub.

Embedded defaults only: SQLite for both, no broker required (a Mosquitto already
listening on 127.0.0.1:1883 is used when there is one). Data lives under var/demo/, so a
second `make demo` keeps yesterday's orders. Ctrl-C stops both.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from scripts.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
VAR = Path(os.environ.get("DEMO_DIR", ROOT / "var" / "demo"))


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _pick(preferred: int) -> int:
    if _free(preferred):
        return preferred
    return free_port()


def _wait(url: str, proc: subprocess.Popen[bytes], name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{name} exited with {proc.returncode}; see {VAR / (name + '.log')}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        time.sleep(0.2)
    sys.exit(f"{name} did not answer at {url}; see {VAR / (name + '.log')}")


def main() -> int:
    VAR.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    central_port = _pick(int(os.environ.get("CENTRAL_PORT", 8000)))
    ws_port = _pick(int(os.environ.get("WS_PORT", 3001)))
    http_port = _pick(int(os.environ.get("HTTP_PORT", 3002)))
    central_env = dict(os.environ, CENTRAL_PORT=str(central_port), CENTRAL_BIND="127.0.0.1",
                       CENTRAL_DATABASE_URL=f"sqlite:///{VAR / 'central.db'}")
    run = {"env": central_env, "cwd": ROOT, "check": True, "capture_output": True, "text": True}
    subprocess.run([py, "-m", "central", "migrate"], **run)  # type: ignore[call-overload]
    seeded = subprocess.run([py, "-m", "central", "seed-demo"], **run)  # type: ignore[call-overload]
    hub_dir = VAR / "hub"
    hub_env = dict(os.environ, HUB_DATA_DIR=str(hub_dir), HUB_OUTLET_ID="1", HUB_ID="hub-demo",
                   HUB_OUTLET_NAME="Yogya Food Court", WS_PORT=str(ws_port),
                   HTTP_PORT=str(http_port), HUB_BIND="0.0.0.0", HUB_ZEROCONF="off",
                   HUB_CENTRAL_URL=f"http://127.0.0.1:{central_port}", HUB_HEARTBEAT_SECONDS="5",
                   HUB_MQTT_URL="mqtt://127.0.0.1:1883" if not _free(1883) else "none")
    if not (hub_dir / "hub_token").exists():
        token = subprocess.run([py, "-m", "central", "enroll", "--outlet", "1"],
                               **run).stdout.strip().splitlines()[-1]  # type: ignore[call-overload]
        hub_env["HUB_ENROLLMENT_TOKEN"] = token
    procs: list[subprocess.Popen[bytes]] = []
    for name, env in (("central", central_env), ("hub", hub_env)):
        log = (VAR / f"{name}.log").open("ab")
        procs.append(subprocess.Popen([py, "-m", name, "run"], env=env, cwd=ROOT, stdout=log,
                                      stderr=subprocess.STDOUT))
        _wait(f"http://127.0.0.1:{central_port}/health" if name == "central"
              else f"http://127.0.0.1:{http_port}/health", procs[-1], name)
    hub = f"http://localhost:{ws_port}"
    print(f"""
Outlet Hub demo is running (data in {VAR}).
  Kiosk / POS      {hub}/kiosk/
  Kitchen display  {hub}/kitchen/
  Order board      {hub}/board/
  Hub status (IT)  {hub}/
  Hub health       http://localhost:{http_port}/health   metrics: /metrics
  Central admin    http://localhost:{central_port}/admin/
{seeded.stdout.strip()}
Press Ctrl-C to stop.""", flush=True)
    stop = {"now": False}

    def _stop(*_a: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop["now"] and all(p.poll() is None for p in procs):
        time.sleep(0.3)
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())

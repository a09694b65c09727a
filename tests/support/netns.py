"""Network namespaces for tests that need a second host: source-address checks and mDNS.

Everything happens inside namespaces and veth pairs a test creates (addresses in
10.213.0.0/16, chosen so they collide with nothing on the machine) and is removed by the
finalizer. The machine's real interfaces are never touched: mDNS and foreign source
addresses stay inside the namespaces.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.support.processes import Process

IP = "ip"


def _ip(*args: str, ns: str | None = None) -> str:
    argv = [IP, *(["-n", ns] if ns else []), *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _third_octet() -> int:
    """A random 10.213.<n>.0/24 for this lab, from this pytest-xdist worker's own slice of
    the range, so labs of tests running side by side never share a subnet."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % 8 if worker.isdigit() else 0
    return random.randrange(1 + index * 31, 32 + index * 31)


@dataclass
class Link:
    """One end of a veth pair: its interface name, namespace (None = this host) and address."""

    name: str
    ns: str | None
    address: str
    prefix: int

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.prefix}"

    @property
    def network(self) -> str:
        return str(ipaddress.ip_interface(self.cidr).network)


@dataclass
class NetnsLab:
    """Creates namespaces and veth pairs, runs programs inside them, and removes it all."""

    tag: str = field(default_factory=lambda: f"{os.getpid() % 10000:04d}{random.randrange(16**3):03x}")
    namespaces: list[str] = field(default_factory=list)
    host_links: list[str] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    _third: int = field(default_factory=lambda: _third_octet())
    _fourth: int = 0
    _links: int = 0

    # -- topology ------------------------------------------------------------------------
    def namespace(self, role: str) -> str:
        """A fresh namespace with loopback up."""
        name = f"oh-{self.tag}-{role}"
        _ip("netns", "add", name)
        self.namespaces.append(name)
        _ip("link", "set", "lo", "up", ns=name)
        return name

    def _subnet(self) -> tuple[str, str]:
        """Two host addresses of a fresh /30 in 10.213.<random>.0/24."""
        if self._fourth >= 252:
            raise RuntimeError("this lab ran out of /30 subnets")
        base = f"10.213.{self._third}."
        a, b = f"{base}{self._fourth + 1}", f"{base}{self._fourth + 2}"
        self._fourth += 4
        return a, b

    def veth(self, left_ns: str | None, right_ns: str | None, *,
             multicast: bool = True) -> tuple[Link, Link]:
        """A veth pair between two namespaces (None = this host), addressed from one /30, up.

        Each end is made inside its namespace rather than made here and moved: an interface
        that comes and goes on this host makes Chromium abort what the browser tests beside
        it have in flight (net::ERR_NETWORK_CHANGED). Only an end meant for this host
        appears here."""
        self._links += 1
        left_name, right_name = f"oh{self.tag}{self._links}a", f"oh{self.tag}{self._links}b"

        def end(name: str, ns: str | None) -> list[str]:
            return ["name", name, *(["netns", ns] if ns is not None else [])]

        _ip("link", "add", *end(left_name, left_ns), "type", "veth", "peer", *end(right_name, right_ns))
        self.host_links += [name for name, ns in ((left_name, left_ns), (right_name, right_ns)) if ns is None]
        left_addr, right_addr = self._subnet()
        ends = []
        for name, ns, addr in ((left_name, left_ns, left_addr), (right_name, right_ns, right_addr)):
            _ip("addr", "add", f"{addr}/30", "dev", name, ns=ns)
            _ip("link", "set", name, "multicast", "on" if multicast else "off", "up", ns=ns)
            ends.append(Link(name, ns, addr, 30))
        return ends[0], ends[1]

    @staticmethod
    def route(ns: str, destination: str, *, via: str | None = None, dev: str | None = None) -> None:
        """Add a route inside a namespace (a default route, or 224.0.0.0/4 for mDNS)."""
        args = ["route", "add", destination]
        if via:
            args += ["via", via]
        if dev:
            args += ["dev", dev]
        _ip(*args, ns=ns)

    @staticmethod
    def routes(ns: str) -> str:
        return _ip("route", "show", "table", "all", ns=ns)

    # -- programs inside -----------------------------------------------------------------
    @staticmethod
    def wrap(ns: str, argv: list[str]) -> list[str]:
        """`ip netns exec` execs the program, so the child's pid is the program itself."""
        return [IP, "netns", "exec", ns, *argv]

    def adopt(self, proc: Process, ns: str) -> Process:
        """Run an already configured Process (e.g. a Hub) inside `ns`; killed at cleanup."""
        proc.argv = self.wrap(ns, proc.argv)
        self.processes.append(proc)
        return proc

    def python(self, ns: str, code: str, args: Any = None, timeout: float = 40.0,
               env: Mapping[str, str] | None = None) -> Any:
        """Run `code` with this venv's python inside `ns`; `args` arrives as JSON in argv[1].

        The code prints one JSON document on its last stdout line, which is returned.
        """
        argv = self.wrap(ns, [sys.executable, "-c", code, json.dumps(args)])
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ) | dict(env or {}))
        if done.returncode != 0:
            raise RuntimeError(f"python in {ns} exited {done.returncode}:\n{done.stderr[-4000:]}")
        lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
        if not lines:
            raise RuntimeError(f"python in {ns} printed nothing; stderr:\n{done.stderr[-4000:]}")
        return json.loads(lines[-1])

    # -- cleanup -------------------------------------------------------------------------
    def __enter__(self) -> NetnsLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Kill what runs inside, delete host-side links (their peers go too), then namespaces."""
        for proc in reversed(self.processes):
            proc.kill()
        for name in self.host_links:
            subprocess.run([IP, "link", "del", name], capture_output=True, timeout=20)
        for ns in reversed(self.namespaces):
            subprocess.run([IP, "netns", "del", ns], capture_output=True, timeout=20)


# A client run inside a namespace: performs HTTP and WebSocket steps and prints the results
# as JSON. Steps: {"op": "http", "method", "url", "body"?, "headers"?} → {"status", "body"};
# {"op": "ws", "url", "headers"?, "send"?: [envelope…]} → {"status": 101|<refusal>,
# "replies": [the reply to each sent envelope, matched by ref]}.
CLIENT_SCRIPT = r'''
import asyncio, json, sys
import aiohttp

async def http(session, step):
    async with session.request(step.get("method", "GET"), step["url"], json=step.get("body"),
                               headers=step.get("headers") or {}) as resp:
        text = await resp.text()
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        return {"status": resp.status, "body": body}

async def ws(session, step):
    try:
        sock = await session.ws_connect(step["url"], headers=step.get("headers") or {})
    except aiohttp.WSServerHandshakeError as exc:
        return {"status": exc.status, "replies": []}
    replies = []
    async with sock:
        for env in step.get("send", []):
            await sock.send_str(json.dumps(env))
            while True:
                msg = await asyncio.wait_for(sock.receive(), 10)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    replies.append({"closed": sock.close_code})
                    break
                data = json.loads(msg.data)
                if data.get("ref") == env.get("id"):
                    replies.append(data)
                    break
    return {"status": 101, "replies": replies}

async def main(steps):
    out = []
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for step in steps:
            try:
                out.append(await (http if step["op"] == "http" else ws)(session, step))
            except Exception as exc:
                out.append({"status": None, "error": repr(exc)})
    return out

print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
'''


# Waits (inside a namespace) until GET argv[1]["url"] answers 200, then prints the body.
WAIT_HTTP_SCRIPT = r'''
import json, sys, time, urllib.request
args = json.loads(sys.argv[1])
deadline = time.monotonic() + args.get("timeout", 30)
last = None
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(args["url"], timeout=2) as resp:
            print(json.dumps({"status": resp.status, "body": json.loads(resp.read())}))
            sys.exit(0)
    except Exception as exc:
        last = repr(exc)
    time.sleep(0.1)
print(json.dumps({"status": None, "error": last}))
'''

"""Loopback ports for the programs that tests, the bench and the demo start as children.

Why not "bind port 0, read the number, close, hand it to the child": the kernel picks that
number from its ephemeral range (`net.ipv4.ip_local_port_range`, 32768-60999 on these
machines), the same range it draws the local end of every *outgoing* connection from. On a
busy machine - four pytest workers each talking to PostgreSQL, Mosquitto, hubs and
central - some client socket can take the port in the instant between our close and the
child's bind. The fresh-clone CI run of 2026-12-02 lost 544 tests to one such collision
(`address already in use` on a module-scoped hub).

So ports come from *below* the ephemeral range, where only listeners appear, never the
kernel's automatic picks. Each pytest-xdist worker takes its own slice of that band, so
two workers never hand out the same port; inside a slice a counter walks forward from a
per-process start, and a port is handed out only if a trial bind succeeds (something
outside our control may listen there: RabbitMQ's 25672, another session's child).
"""

from __future__ import annotations

import functools
import itertools
import os
import socket
import threading
from pathlib import Path

BAND_LOW = 20000
"""Lowest port we hand out; below it sit many well-known services' defaults."""

_lock = threading.Lock()
_cursor: itertools.count[int] | None = None


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


@functools.cache
def _slice() -> range | None:
    """This process's share of the band, or None when the band is too small to share (read
    once: neither the kernel's range nor the worker's name changes during a session)."""
    high = min(_ephemeral_low(), 65536)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    try:
        index = int(worker.removeprefix("gw"))
        count = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), index + 1)
    except ValueError:
        index, count = 0, 1
    size = (high - BAND_LOW) // count
    if size < 200:
        return None
    return range(BAND_LOW + index * size, BAND_LOW + (index + 1) * size)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _kernel_pick() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now and no outgoing connection of
    this machine can take before the child binds it (see the module docstring)."""
    global _cursor
    band = _slice()
    if band is None:                    # a machine whose ephemeral range starts low
        return _kernel_pick()
    with _lock:
        if _cursor is None:             # another session's workers start elsewhere
            _cursor = itertools.count(os.getpid() % len(band))
        for _ in range(len(band)):
            port = band[next(_cursor) % len(band)]
            if _bindable(port):
                return port
    raise OSError(f"no free loopback port in {band.start}-{band.stop - 1}")

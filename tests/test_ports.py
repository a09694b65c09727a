"""Ports handed to child processes never come from the kernel's ephemeral range, where an
outgoing connection's local end can take them before the child binds (CI, 2026-12-02)."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys

import pytest

from scripts import ports
from tests.support.processes import ROOT


def test_ports_sit_below_the_ephemeral_range() -> None:
    low = ports._ephemeral_low()
    picked = [ports.free_port() for _ in range(50)]
    assert all(ports.BAND_LOW <= p < low for p in picked), picked
    assert len(set(picked)) == len(picked)


def test_workers_never_share_a_port() -> None:
    code = ("from scripts.ports import free_port; import json; "
            "print(json.dumps([free_port() for _ in range(300)]))")
    seen: list[set[int]] = []
    for worker in ("gw0", "gw1", "gw2"):
        env = {"PYTEST_XDIST_WORKER": worker, "PYTEST_XDIST_WORKER_COUNT": "3", "PATH": "/usr/bin:/bin"}
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True).stdout
        seen.append(set(json.loads(out)))
    assert all(len(s) == 300 for s in seen)
    assert not (seen[0] & seen[1]) and not (seen[1] & seen[2]) and not (seen[0] & seen[2])


def test_a_port_something_listens_on_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    band = ports._slice()
    assert band is not None
    with socket.socket() as listener:
        port = ports.free_port()
        listener.bind(("127.0.0.1", port))
        listener.listen()
        # Walk the cursor back so the next candidate is the port now listened on.
        monkeypatch.setattr(ports, "_cursor", itertools.count(band.index(port)))
        assert ports.free_port() != port

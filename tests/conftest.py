"""Fixtures shared by every tier: real brokers and real hub processes on free ports."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import Hub, Mosquitto, Process

# `make test` hands whole files to the xdist workers (--dist loadfile) in collection order
# (--no-loadscope-reorder). These files run for minutes with a handful of tests: by default
# xdist queues files by test count, so they started last and ran alone at the end (the 200
# SIGKILLs began ~13 min into a 24 min run and finished it alone). Longest first (per-file
# totals measured on 4 workers), then the rest by test count, as xdist would. Not here on
# purpose: promtool's rule tests (CPU-bound, 120 s limit), kept out of the first wave.
LONGEST_FILES = (
    "tests/chaos/test_sigkill_chaos.py",
    "tests/chaos/test_openapi.py",
    "tests/integration/test_fleet_updates.py",
    "tests/hub/test_printer_outage.py",
    "tests/central/test_backup.py",
    "tests/ui/test_https_offline.py",
    "tests/integration/test_kiosk_trust_role.py",
    "tests/test_demo.py",
    "tests/chaos/test_clock_steps.py",
    "tests/integration/test_lan_tls.py",
    "tests/bench/test_smoke.py",
    "tests/chaos/test_broker_kills.py",
    "tests/hub/test_crash_safety.py",
    "tests/ui/test_provisioned_pairing.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order files for the xdist workers: LONGEST_FILES first, then by number of tests
    (stable). A run without workers keeps the order it was given (the image tiers')."""
    if not hasattr(config, "workerinput"):
        return

    def file_of(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    counts: dict[str, int] = {}
    for item in items:
        counts[file_of(item)] = counts.get(file_of(item), 0) + 1
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: (rank.get(file_of(item), len(rank)), -counts[file_of(item)]))


# How much of each process's log a failed test shows (the end is where the failure is).
LOG_TAIL_CHARS = 6000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report carries the tail of every process log it started (`procs`):
    on a fresh-clone CI run the temporary directories are gone by the time anyone reads
    the failure, and "not within 30 s" says nothing without the hub's own account."""
    report = yield
    if report.when == "call" and report.failed:
        for p in getattr(item, "funcargs", {}).get("procs") or ():
            tail = p.log()[-LOG_TAIL_CHARS:]
            report.sections.append((f"{p.name} log, last {len(tail)} characters ({p.log_path})",
                                    tail))
    return report


@pytest.fixture
def procs() -> Iterator[list[Process]]:
    """Every process a test starts through a factory is killed when the test ends."""
    started: list[Process] = []
    yield started
    for p in reversed(started):
        p.kill()


@pytest.fixture
def mosquitto(tmp_path: Path, procs: list[Process]) -> Mosquitto:
    """A fresh real broker for one test."""
    broker = Mosquitto(tmp_path / "mqtt")
    broker.start()
    procs.append(broker)
    return broker


@pytest.fixture
def hub_factory(tmp_path: Path, procs: list[Process]) -> Callable[..., Hub]:
    """Make (and start, unless start=False) a hub subprocess; killed after the test."""

    def make(start: bool = True, **kwargs: Any) -> Hub:
        hub = Hub(tmp_path, **kwargs)
        procs.append(hub)
        if start:
            hub.start()
        return hub

    return make

"""Fixtures shared by every tier: real brokers and real hub processes on free ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import Hub, Mosquitto, Process


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

"""Hub + central together: real processes, the IT journey and the store-and-forward promises."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.central.conftest import CentralUnderTest, PgDatabase, make_database_url, start_central
from tests.support.processes import Hub, Process, http_json


def eventually(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; the last value on failure."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")


@pytest.fixture
def hq(tmp_path: Path, procs: list[Process]) -> Iterator[CentralUnderTest]:
    """A central on SQLite for one test, with an admin logged in."""
    cleanup: list[PgDatabase] = []
    url = make_database_url("sqlite", tmp_path, cleanup)
    proc = start_central(tmp_path / "central", url)
    procs.append(proc)
    yield CentralUnderTest(proc, proc.admin_token(), "sqlite")


@pytest.fixture
def enrolled_hub(hq: CentralUnderTest, hub_factory: Callable[..., Hub]
                 ) -> Callable[..., tuple[Hub, int]]:
    """Start a hub that enrolls itself with `hq` for a fresh outlet; returns (hub, outlet_id)."""

    def make(outlet_id: int | None = None, **env: str) -> tuple[Hub, int]:
        outlet = outlet_id or hq.new_outlet("Yogya Mall Malioboro")
        base = {"HUB_CENTRAL_URL": hq.base, "HUB_ENROLLMENT_TOKEN": hq.enrollment_token(outlet),
                "HUB_HEARTBEAT_SECONDS": "1"}
        hub = hub_factory(outlet_id=outlet, env=base | env)
        return hub, outlet

    return make


def outlet(hq: CentralUnderTest, outlet_id: int) -> dict[str, Any]:
    status, body = hq.call("GET", f"/api/tenants/outlets/{outlet_id}/", token=hq.admin)
    assert status == 200, body
    return dict(body)


def hub_health(hub: Hub) -> dict[str, Any]:
    return dict(http_json(f"{hub.ops}/health")[1])

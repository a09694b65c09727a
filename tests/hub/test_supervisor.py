"""The asyncio shell of the supervisor: a failing loop is logged, counted, restarted, named."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hub.core.outbox import Backoff
from hub.core.supervision import RestartPolicy
from hub.supervisor import Supervisor


async def test_a_raising_task_is_restarted_counted_and_named_until_stable(
        caplog: pytest.LogCaptureFixture) -> None:
    restarts: list[str] = []
    runs = 0
    healthy = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 2:
            raise RuntimeError(f"failure {runs}")
        healthy.set()
        await asyncio.Event().wait()

    policy = RestartPolicy(backoff=Backoff(initial=0.01, maximum=0.02, jitter=0.0),
                           stable_after=3600)
    sup = Supervisor(on_restart=restarts.append, policy=policy)
    with caplog.at_level(logging.ERROR, logger="hub.supervisor"):
        sup.spawn("outbox", flaky)
        await asyncio.wait_for(healthy.wait(), 5)
    assert restarts == ["outbox", "outbox"]
    assert "Traceback" in caplog.text and "RuntimeError: failure 2" in caplog.text
    assert sup.reasons() == ["outbox restarting (2 restarts; last: RuntimeError: failure 2)"]
    assert sup.snapshot() == [{"name": "outbox", "restarts": 2, "state": "restarting",
                               "last_error": "RuntimeError: failure 2"}]
    await sup.stop()
    assert sup.tasks == {}


async def test_a_task_that_returns_is_not_restarted() -> None:
    restarts: list[str] = []
    sup = Supervisor(on_restart=restarts.append)

    async def once() -> None:
        return None

    await sup.spawn("zeroconf", once)
    assert restarts == [] and sup.reasons() == []


async def test_stop_cancels_a_task_waiting_to_restart() -> None:
    async def broken() -> None:
        raise OSError("disk full")

    sup = Supervisor(policy=RestartPolicy(backoff=Backoff(initial=60.0, jitter=0.0)))
    task = sup.spawn("retention", broken)
    await asyncio.sleep(0.05)
    assert sup.reasons()[0].startswith("retention restarting")
    await asyncio.wait_for(sup.stop(), 2)
    assert task.cancelled()

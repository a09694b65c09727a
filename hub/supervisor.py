"""The asyncio shell around `hub.core.supervision`: every long-lived task runs under it.

A background loop that raises must never die silently (issue 13): the supervisor logs the
traceback, counts the restart, waits the policy's backoff and starts the loop again, and
`/health` names the task while it is in trouble. Central uses the same shell for its own
tasks (until both move to the shared package), with its own metric.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

from hub.background import cancel_and_wait
from hub.core.supervision import RestartPolicy

log = logging.getLogger(__name__)

TaskFactory = Callable[[], Coroutine[Any, Any, None]]


class Supervisor:
    """Runs named coroutines for ever: restarted with backoff after an unexpected exception."""

    def __init__(self, on_restart: Callable[[str], None] | None = None,
                 policy: RestartPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 rand: Callable[[], float] = random.random) -> None:
        self.policy = policy or RestartPolicy()
        self.on_restart = on_restart
        self.clock = clock
        self.rand = rand
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def spawn(self, name: str, factory: TaskFactory) -> asyncio.Task[None]:
        """Start `factory()` as task `name`; returns the supervising task (cancel it to stop)."""
        task = asyncio.create_task(self._run(name, factory), name=name)
        self.tasks[name] = task
        task.add_done_callback(lambda t: self.tasks.pop(name, None) if self.tasks.get(name) is t
                               else None)
        return task

    async def _run(self, name: str, factory: TaskFactory) -> None:
        while True:
            self.policy.started(name, self.clock())
            try:
                await factory()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = self.policy.failed(name, f"{type(exc).__name__}: {exc}", self.clock(),
                                           self.rand())
                log.exception("task %s failed; restarting in %.1f s", name, delay)
                if self.on_restart is not None:
                    self.on_restart(name)
                await asyncio.sleep(delay)
                continue
            log.info("task %s finished", name)
            return

    def reasons(self) -> list[str]:
        """Degradation reasons for `/health`: one per task restarting or recently restarted."""
        return self.policy.reasons(self.clock())

    def snapshot(self) -> list[dict[str, Any]]:
        """Every supervised task with its restart count, for the status page."""
        now = self.clock()
        troubled = {r.name for r in self.policy.troubled(now)}
        return [{"name": r.name, "restarts": r.restarts, "last_error": r.last_error,
                 "state": "restarting" if r.name in troubled else "running"}
                for r in sorted(self.policy.tasks.values(), key=lambda r: r.name)]

    async def stop(self) -> None:
        """Cancel every task and wait for each to finish its cleanup."""
        await cancel_and_wait(list(self.tasks.values()))

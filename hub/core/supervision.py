"""Restart policy for long-lived background tasks, told the time and handed its random number.

A task that raised is restarted after an exponential backoff; a task that then ran for
`stable_after` seconds without failing counts as healthy again and its backoff starts
over. The policy is pure: the asyncio shell (`hub.supervisor`) asks it what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.core.outbox import Backoff

# 1 s first, doubling to 60 s: a task failing on every start (a broken disk) costs at most
# one traceback a minute in the log, and a transient fault (a busy database) is retried at once.
RESTART_BACKOFF = Backoff(initial=1.0, factor=2.0, maximum=60.0, jitter=0.2)
# A task that survived 30 s after a restart has recovered; /health stops naming it.
STABLE_AFTER = 30.0


@dataclass
class TaskRecord:
    """What is known about one supervised task: failures, the last error, when it restarts."""

    name: str
    restarts: int = 0
    consecutive: int = 0
    last_error: str = ""
    failed_at: float | None = None
    started_at: float = 0.0
    restart_at: float | None = None   # set while waiting to restart


@dataclass
class RestartPolicy:
    """Decides when a failed task runs again and whether it counts as restarting."""

    backoff: Backoff = RESTART_BACKOFF
    stable_after: float = STABLE_AFTER
    tasks: dict[str, TaskRecord] = field(default_factory=dict)

    def started(self, name: str, now: float) -> TaskRecord:
        """A task (re)started at `now`."""
        record = self.tasks.setdefault(name, TaskRecord(name))
        record.started_at = now
        record.restart_at = None
        return record

    def failed(self, name: str, error: str, now: float, rand: float) -> float:
        """A task raised at `now`; returns the seconds to wait before starting it again."""
        record = self.tasks.setdefault(name, TaskRecord(name))
        if record.failed_at is not None and now - record.started_at >= self.stable_after:
            record.consecutive = 0
        delay = self.backoff.delay(record.consecutive, rand)
        record.consecutive += 1
        record.restarts += 1
        record.last_error = error[:200]
        record.failed_at = now
        record.restart_at = now + delay
        return delay

    def troubled(self, now: float) -> list[TaskRecord]:
        """Tasks waiting to restart, or restarted less than `stable_after` ago."""
        out = []
        for record in self.tasks.values():
            if record.failed_at is None:
                continue
            if record.restart_at is not None or now - record.started_at < self.stable_after:
                out.append(record)
        return sorted(out, key=lambda r: r.name)

    def reasons(self, now: float) -> list[str]:
        """`/health` reasons: `<task> restarting` plus the last error."""
        return [f"{r.name} restarting ({r.restarts} restarts; last: {r.last_error})"
                for r in self.troubled(now)]

"""Fleet updates decided without I/O (issue 17, decision 1101).

The hub pulls a release named by central, installs it only inside the outlet's update
window and only while no kitchen has an open order (or at once when forced), and rolls
back by itself when the new version does not prove itself in time. Every rule lives
here; `hub/updates.py` only downloads, unpacks, switches symlinks and restarts.

An update crosses a process boundary: the old version downloads and switches, the new
version verifies itself, and a guard that runs before every start (systemd's
`ExecStartPre`, or the test launcher) counts the starts that never verified. So the
record that carries the update from one to the next is plain JSON (`UpdateRecord`),
and the clock is always handed in (wall-clock seconds: a deadline must survive a restart).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from outlet_protocol.outbox import Backoff
from outlet_protocol.releases import valid_version


class State(StrEnum):
    """Where an outlet's update stands; also the value of `outlet_hub_update_state`."""

    IDLE = "idle"
    DOWNLOADING = "downloading"
    DOWNLOADED = "downloaded"
    WAITING_WINDOW = "waiting_window"
    INSTALLING = "installing"
    VERIFYING = "verifying"
    DONE = "done"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"


# The gauge's value per state (Grafana maps them back to names; stable, append only).
STATE_CODES = {s: i for i, s in enumerate(State)}
# The numbers: a new version has 120 s to reach /health ok, its central link and
# a self-test order; three starts that end before that mean the release is bad.
VERIFY_SECONDS = 120.0
MAX_CRASHES = 3
# A failed install (a full disk, a broken wheel) is retried this often, then the release
# is `failed` until central names it again with a newer generation.
MAX_INSTALL_ATTEMPTS = 3
DEFAULT_WINDOW = "02:00-05:00"
# Downloads retry for ever (an outlet's line may be down for days) but at most hourly.
DOWNLOAD_BACKOFF = Backoff(initial=5.0, maximum=3600.0)
INSTALL_BACKOFF = Backoff(initial=60.0, maximum=1800.0)
_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Window:
    """Local minutes of the day when installing is allowed; may wrap past midnight."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> Window:
        """`HH:MM-HH:MM` (local time); raises ValueError naming the expected form."""
        m = _WINDOW_RE.match(text.strip())
        if not m:
            raise ValueError(f"update window {text!r} must look like 02:00-05:00")
        start = int(m.group(1)) * 60 + int(m.group(2))
        end = int(m.group(3)) * 60 + int(m.group(4))
        if start == end:
            raise ValueError(f"update window {text!r} is empty")
        return cls(start, end)

    def contains(self, local: datetime) -> bool:
        """Whether the local wall time `local` lies inside [start, end)."""
        minute = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class Target:
    """What central's heartbeat answer names for this hub (docs/protocol.md §6.2)."""

    version: str
    generation: int = 0
    force: bool = False
    sha256: str = ""
    size: int = 0


def parse_target(raw: Any) -> Target | None:
    """The heartbeat answer's `update` object, or None when absent or malformed."""
    if not isinstance(raw, dict) or not valid_version(raw.get("version")):
        return None
    gen, size, sha = raw.get("generation", 0), raw.get("size", 0), raw.get("sha256", "")
    if not isinstance(gen, int) or not isinstance(size, int) or not isinstance(sha, str):
        return None
    if isinstance(gen, bool) or gen < 0 or size < 0 or len(sha) not in (0, 64):
        return None
    return Target(str(raw["version"]), gen, raw.get("force") is True, sha, size)


@dataclass(frozen=True)
class UpdateRecord:
    """The durable state of one hub's update (`<root>/update.json`), read by every process."""

    current: str
    state: State = State.IDLE
    target: str = ""
    generation: int = 0
    force: bool = False
    previous: str = ""
    attempts: int = 0
    retry_at: float = 0.0
    deadline: float = 0.0
    starts: int = 0
    last_error: str = ""
    backup: str = ""
    # Releases that rolled back, with the generation that named them: never tried again
    # until central names the version with a newer generation ("until told").
    refused: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (state as its string)."""
        out = asdict(self)
        out["state"] = str(self.state)
        return out

    @classmethod
    def from_json(cls, raw: Any, current: str) -> UpdateRecord:
        """Read a stored record; anything unreadable becomes a fresh idle one on `current`."""
        if not isinstance(raw, dict):
            return cls(current)
        try:
            names = set(cls.__dataclass_fields__)
            values = {k: v for k, v in raw.items() if k in names}
            values["state"] = State(values.get("state", "idle"))
            values["refused"] = {str(k): int(v) for k, v in dict(values.get("refused", {})).items()}
            return cls(**values)
        except (TypeError, ValueError):
            return cls(current)

    @property
    def busy(self) -> bool:
        """True while a release is on its way in (nothing else may start)."""
        return self.state in (State.DOWNLOADING, State.DOWNLOADED, State.WAITING_WINDOW,
                              State.INSTALLING, State.VERIFYING)


def on_target(rec: UpdateRecord, target: Target | None) -> UpdateRecord:
    """Central named a release (or none): start downloading it, or keep what is going on.
    Named none (rollout withdrawn, hub left the ring) or the running one: what has not
    started installing is dropped; an install under way finishes and verifies."""
    if target is None or target.version == rec.current:
        if rec.state in (State.DOWNLOADING, State.DOWNLOADED, State.WAITING_WINDOW):
            return replace(rec, state=State.IDLE, target="", attempts=0, retry_at=0.0,
                           last_error="")
        return rec
    refused_at = rec.refused.get(target.version)
    if refused_at is not None and target.generation <= refused_at:
        return rec
    if rec.state in (State.INSTALLING, State.VERIFYING):
        return rec                       # finish (or roll back) what is under way first
    same = target.version == rec.target and target.generation == rec.generation
    if same and rec.state != State.FAILED:
        return replace(rec, force=target.force)
    if same:
        return rec
    refused = {v: g for v, g in rec.refused.items() if v != target.version}
    return replace(rec, state=State.DOWNLOADING, target=target.version,
                   generation=target.generation, force=target.force, attempts=0,
                   retry_at=0.0, last_error="", refused=refused)


def download_failed(rec: UpdateRecord, error: str, now: float, rand: float) -> UpdateRecord:
    """Keep trying with a growing pause; the partial file stays for a Range resume."""
    return replace(rec, attempts=rec.attempts + 1, last_error=error[:300],
                   retry_at=now + DOWNLOAD_BACKOFF.delay(rec.attempts, rand))


def download_refused(rec: UpdateRecord, error: str) -> UpdateRecord:
    """A bundle that fails its signature or digest is never installed: failed, until told."""
    return replace(rec, state=State.FAILED, last_error=error[:300], attempts=0)


def downloaded(rec: UpdateRecord) -> UpdateRecord:
    """The bundle is on disk and verified."""
    return replace(rec, state=State.DOWNLOADED, attempts=0, retry_at=0.0, last_error="")


def may_download(rec: UpdateRecord, now: float) -> bool:
    """Whether the downloader should (re)try now."""
    return rec.state == State.DOWNLOADING and now >= rec.retry_at


def install_decision(rec: UpdateRecord, now: float, local: datetime, window: Window,
                     open_orders: int) -> UpdateRecord:
    """A downloaded release becomes `installing` only inside the window with every kitchen
    clear, or at once when forced; otherwise it waits (`waiting_window`, the reason said)."""
    if rec.state not in (State.DOWNLOADED, State.WAITING_WINDOW) or now < rec.retry_at:
        return rec
    if rec.force:
        return replace(rec, state=State.INSTALLING, last_error="")
    if not window.contains(local):
        return replace(rec, state=State.WAITING_WINDOW, last_error="")
    if open_orders:
        return replace(rec, state=State.WAITING_WINDOW,
                       last_error=f"{open_orders} order(s) open on a kitchen screen")
    return replace(rec, state=State.INSTALLING, last_error="")


def install_failed(rec: UpdateRecord, error: str, now: float, rand: float) -> UpdateRecord:
    """The old version still runs; retry later, and give up after MAX_INSTALL_ATTEMPTS."""
    attempts = rec.attempts + 1
    if attempts >= MAX_INSTALL_ATTEMPTS:
        return replace(rec, state=State.FAILED, attempts=attempts, last_error=error[:300])
    return replace(rec, state=State.DOWNLOADED, attempts=attempts, last_error=error[:300],
                   retry_at=now + INSTALL_BACKOFF.delay(attempts - 1, rand))


def switched(rec: UpdateRecord, now: float, backup: str = "") -> UpdateRecord:
    """The `current` symlink now names the target: the new version has VERIFY_SECONDS."""
    return replace(rec, state=State.VERIFYING, previous=rec.current, current=rec.target,
                   deadline=now + VERIFY_SECONDS, starts=0, backup=backup, last_error="")


@dataclass(frozen=True)
class GuardDecision:
    """What the guard does before a start: run `current` as is, or switch back first."""

    record: UpdateRecord
    rollback: bool


def before_start(rec: UpdateRecord, now: float) -> GuardDecision:
    """Count a start of an unverified version; past MAX_CRASHES or the deadline, roll back."""
    if rec.state != State.VERIFYING:
        return GuardDecision(rec, False)
    if rec.starts >= MAX_CRASHES:
        return GuardDecision(rolled_back(rec, f"{rec.current} stopped {rec.starts} times "
                                              f"before it verified"), True)
    if now >= rec.deadline:
        return GuardDecision(rolled_back(rec, f"{rec.current} did not verify within "
                                              f"{VERIFY_SECONDS:g} s"), True)
    return GuardDecision(replace(rec, starts=rec.starts + 1), False)


def verify_timed_out(rec: UpdateRecord, now: float) -> bool:
    """Whether the running (new) version has missed its deadline and must roll back."""
    return rec.state == State.VERIFYING and now >= rec.deadline


def verified(rec: UpdateRecord) -> UpdateRecord:
    """The new version proved itself: done; the previous one stays as the fallback."""
    if rec.state != State.VERIFYING:
        return rec
    return replace(rec, state=State.DONE, target=rec.current, starts=0, deadline=0.0,
                   last_error="", backup="")


def rolled_back(rec: UpdateRecord, reason: str) -> UpdateRecord:
    """Back on `previous`; the bad release is refused at its generation until told."""
    bad = rec.current
    return replace(rec, state=State.ROLLED_BACK, current=rec.previous, previous=bad,
                   target=bad, deadline=0.0, starts=0, last_error=reason[:300],
                   refused=rec.refused | {bad: rec.generation})


def report(rec: UpdateRecord) -> dict[str, Any]:
    """The heartbeat's `update` object (docs/protocol.md §6.2)."""
    return {"state": str(rec.state), "target": rec.target or None,
            "generation": rec.generation, "last_error": rec.last_error or None,
            "previous": rec.previous or None}

"""`python -m hub.launcher`: the guard before every start, and systemd's role in tests.

`guard` runs before each start of the hub (systemd `ExecStartPre`): while a new release
is `verifying` it counts the start, and after MAX_CRASHES starts that never verified, or
past the 120 s deadline, it points `current` back at the previous release (restoring the
database backup when the migration was not backward compatible) before the start goes on.
`supervise` is what the tests run instead of systemd: guard, start `current`'s hub, wait,
start again after a pause (systemd's `Restart=always`), SIGTERM passed on to the child.

Imports nothing but the standard library, hub/core/updates.py and hub/release_layout.py.
The image runs the guard with the `previous` release's interpreter (the one that switched,
known to work; `current` only before the first update: decision 1101), so a release whose
hub cannot even import still rolls back.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from hub.core.updates import before_start
from hub.release_layout import Layout


def _restore(layout: Layout, backup: str, hub_args: list[str]) -> None:
    """Put the pre-update database back with the release we return to; central first."""
    program = str(layout.hub_program("current"))
    config = _config_args(hub_args)
    for extra in ([], ["--without-central"]):
        done = subprocess.run([program, "restore", backup, *config, *extra], check=False,
                              capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            print(f"outlet-hub-launcher: {done.stdout.strip()}", flush=True)
            return
        print(f"outlet-hub-launcher: restore {' '.join(extra)} failed: "
              f"{done.stderr.strip()}", file=sys.stderr, flush=True)


def _config_args(hub_args: list[str]) -> list[str]:
    for i, arg in enumerate(hub_args):
        if arg in ("--config", "-c") and i + 1 < len(hub_args):
            return [arg, hub_args[i + 1]]
    return []


def guard(layout: Layout, hub_args: list[str], now: float | None = None) -> bool:
    """Count this start; roll back first when the release used up its starts or its time.
    Returns True when it rolled back."""
    rec = layout.read_record(layout.linked_version("current"))
    decision = before_start(rec, time.time() if now is None else now)
    if decision.rollback:
        back = decision.record
        print(f"outlet-hub-launcher: rolling back to {back.current}: {back.last_error}",
              file=sys.stderr, flush=True)
        layout.point("current", back.current)
        if rec.backup:
            _restore(layout, rec.backup, hub_args)
    if decision.record != rec:
        layout.write_record(decision.record)
    return decision.rollback


class Supervisor:
    """Start `current`'s hub again and again, like systemd with Restart=always."""

    def __init__(self, layout: Layout, hub_args: list[str], pause: float) -> None:
        self.layout = layout
        self.hub_args = hub_args
        self.pause = pause
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        code = 0
        while not self.stopping:
            guard(self.layout, self.hub_args)
            program = self.layout.hub_program("current")
            print(f"outlet-hub-launcher: starting {program.resolve()}", flush=True)
            self.child = subprocess.Popen([str(program), *self.hub_args],
                                          cwd=self.layout.root)
            code = self.child.wait()
            print(f"outlet-hub-launcher: hub exited with {code}", flush=True)
            if not self.stopping:
                time.sleep(self.pause)
        return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: `guard` or `supervise`, then the hub's own arguments after `--`."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    hub_args = ["run"]
    if "--" in args_in:
        cut = args_in.index("--")
        args_in, hub_args = args_in[:cut], args_in[cut + 1:] or hub_args
    p = argparse.ArgumentParser(prog="outlet-hub-launcher", description=__doc__)
    p.add_argument("mode", choices=("guard", "supervise"))
    p.add_argument("--root", required=True, help="the update root (/opt/outlet-hub)")
    p.add_argument("--restart-seconds", type=float, default=2.0,
                   help="pause before a restart (systemd RestartSec)")
    args = p.parse_args(args_in)
    layout = Layout(Path(args.root))
    if args.mode == "guard":
        guard(layout, hub_args)
        return 0
    return Supervisor(layout, hub_args, args.restart_seconds).run()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

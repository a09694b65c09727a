"""A busy neighbour for `bench/run.py --neighbour CORES`: one process that keeps a share of
one core busy, as a Pi's other services (or a Python load generator) take theirs.

Why: issue 19 measured that when the load generator was a Python process taking its own
share of the 2 cores, the hub fell behind the seed peer long before it did on a quiet
machine; CPU per order decides who keeps up once the cores are shared. `run.py` starts as
many of these as the asked-for cores need (each at most one core) and reports what they
really used beside every run.

    python bench/neighbour.py 0.75      # busy 7.5 ms of every 10 ms, until killed
"""

from __future__ import annotations

import sys
import time

PERIOD_S = 0.010     # the scheduler's own scale: short enough to compete on every tick


def burn(share: float, period: float = PERIOD_S) -> None:
    """Spin for `share` of every `period`, sleep the rest; forever."""
    busy = max(0.0, min(1.0, share)) * period
    while True:
        start = time.perf_counter()
        while time.perf_counter() - start < busy:
            pass
        rest = period - (time.perf_counter() - start)
        if rest > 0:
            time.sleep(rest)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    share = float(argv[0])
    if not 0.0 < share <= 1.0:
        print("share must be in (0, 1]", file=sys.stderr)
        return 2
    burn(share)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

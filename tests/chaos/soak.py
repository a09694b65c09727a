"""`make soak`: the chaos engine with 1,000 SIGKILLs (~1 hour) and a Jepsen-style table.

    python -m tests.chaos.soak [--kills N] [--seed S] [--out docs/soak-results/NAME.txt]

Exit status 0 only if nothing acked was lost, duplicated or unexpected anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.chaos.engine import ChaosConfig, ChaosRun


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    cfg = ChaosConfig(kills=args.kills, settle_timeout=600.0)
    if args.seed is not None:
        cfg.seed = args.seed
    with tempfile.TemporaryDirectory(prefix="outlet-soak-") as tmp:
        run = ChaosRun(Path(tmp), cfg, log=lambda m: print(m, flush=True))
        try:
            outcome = asyncio.run(run.run())
        finally:
            run.close()
    table = outcome.table()
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        args.out.write_text(f"make soak, {stamp}\n{table}\n")
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())

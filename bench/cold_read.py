"""CPU of one small SQLAlchemy read after an idle gap: why periodic work is dear on this VM.

The idle hub used to read the revoked devices once a second. Warm, that read costs ~0.1 ms
of CPU; done once a second it cost 8-14 ms, because every page it touches has gone cold
(see the `idle` section of `bench/run.py`, `cold_page_us`). This prints the same read's
CPU after gaps of 0 to 1 s on a real migrated hub database, so the effect can be checked
on any host: `python bench/cold_read.py` (JSON on stdout).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hub import devices_db as db
from hub.store.engine import make_engine, migrate


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="cold-read-") as tmp:
        path = Path(tmp) / "hub.sqlite3"
        migrate(path)
        engine = make_engine(path)
        try:
            db.read(engine, db.revoked_ids)
            out: dict[str, float] = {}
            for gap in (0.0, 0.001, 0.01, 0.1, 0.5, 1.0):
                costs = []
                for _ in range(6):
                    time.sleep(gap)
                    t = time.thread_time_ns()
                    db.read(engine, db.revoked_ids)
                    costs.append((time.thread_time_ns() - t) / 1e6)
                out[f"after_{gap:g}s_ms"] = round(statistics.median(costs), 3)
        finally:
            engine.dispose()
    print(json.dumps({"read": "SELECT device_id FROM devices WHERE revoked_at IS NOT NULL",
                      "cpu_median": out}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

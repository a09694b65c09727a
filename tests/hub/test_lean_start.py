"""A serving hub loads only what its configuration uses (issue 19: RSS ≤ the peer's + 10 MB),
and its start keeps the heavy work off the path to /health (start ≤ 0.5 s).

zeroconf (mDNS off), cryptography (no LAN certificate yet) and alembic with what it pulls in
(migrations run in a forked child) were ~25 MB of a ~85 MB hub that used none of them.
On a new database the migration child is forked once SQLAlchemy and the store are imported
(the child shares them) and before the rest of the serving hub (aiohttp, the apps, metrics),
which the parent imports while the child migrates; each side of the fork must stay so.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.support.processes import Hub, http_json

# At the fork: what the child shares (imported before) and what the parent imports while the
# child migrates (after). The probe reports which of these were in sys.modules.
SHARED = ("sqlalchemy", "hub.store")
AFTER = ("aiohttp", "alembic", "prometheus_client", "uvloop", "hub.app", "hub.context")
HEAVY = SHARED + AFTER

# Runs the real CLI; at exit (after SIGTERM and a clean shutdown) it writes what the
# serving process imported, whether its cyclic collector is on, and which heavy modules
# were already imported when it forked. A forked migration child leaves with os._exit: no
# atexit.
PROBE = """
import atexit, gc, json, os, sys
from pathlib import Path
out, heavy = Path(sys.argv[1]), sys.argv[2].split(",")
forks = []
real_fork = os.fork
def fork():
    forks.append(sorted(m for m in heavy if m in sys.modules))
    return real_fork()
os.fork = fork
atexit.register(lambda: out.write_text(json.dumps(
    {"modules": sorted(sys.modules), "gc": gc.isenabled(), "heavy_at_fork": forks})))
from hub.cli import main
sys.exit(main(["run"]))
"""

NOT_CONFIGURED = ("zeroconf", "cryptography", "alembic", "mako", "pygments")


def serving_hub(tmp_path: Path, name: str) -> dict[str, Any]:
    out = tmp_path / f"{name}-modules.json"
    hub = Hub(tmp_path, name=name)
    hub.argv = [sys.executable, "-c", PROBE, str(out), ",".join(HEAVY)]
    hub.start()
    try:
        assert http_json(f"{hub.ops}/health")[0] == 200
        assert hub.terminate() == 0, hub.log()
    finally:
        hub.kill()
    seen: dict[str, Any] = json.loads(out.read_text())
    seen["top"] = {m.split(".")[0] for m in seen["modules"]}
    return seen


def test_a_hub_without_mdns_certificate_or_pending_migration_never_imports_them(tmp_path: Path) -> None:
    fresh = serving_hub(tmp_path, "fresh")      # a new database: migrated
    assert not fresh["top"] & set(NOT_CONFIGURED)
    assert "sqlalchemy" in fresh["top"] and "aiohttp" in fresh["top"]  # the probe saw the real hub
    again = serving_hub(tmp_path, "fresh")      # same data dir: nothing to migrate
    assert not again["top"] & set(NOT_CONFIGURED)


def test_the_migration_child_is_forked_before_the_heavy_imports(tmp_path: Path) -> None:
    fresh = serving_hub(tmp_path, "fresh")
    assert fresh["heavy_at_fork"] == [sorted(SHARED)], "one fork, after the store, before the apps"
    assert fresh["gc"], "the cyclic collector is back on while the hub serves"
    again = serving_hub(tmp_path, "fresh")
    assert again["heavy_at_fork"] == [], "nothing to migrate: no child"
    assert again["gc"]


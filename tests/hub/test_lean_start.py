"""A serving hub loads only what its configuration uses (issue 19: RSS ≤ the peer's + 10 MB).

zeroconf (mDNS off), cryptography (no LAN certificate yet) and alembic with what it pulls in
(migrations run in a forked child) were ~25 MB of a ~85 MB hub that used none of them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.processes import Hub, http_json

# Runs the real CLI; at exit (after SIGTERM and a clean shutdown) it writes what the
# serving process imported. A forked migration child leaves with os._exit: no atexit.
PROBE = """
import atexit, sys
from pathlib import Path
out = Path(sys.argv[1])
atexit.register(lambda: out.write_text("\\n".join(sorted(sys.modules))))
from hub.cli import main
sys.exit(main(["run"]))
"""

NOT_CONFIGURED = ("zeroconf", "cryptography", "alembic", "mako", "pygments")


def imported_by_a_serving_hub(tmp_path: Path, name: str) -> set[str]:
    out = tmp_path / f"{name}-modules.txt"
    hub = Hub(tmp_path, name=name)
    hub.argv = [sys.executable, "-c", PROBE, str(out)]
    hub.start()
    try:
        assert http_json(f"{hub.ops}/health")[0] == 200
        assert hub.terminate() == 0, hub.log()
    finally:
        hub.kill()
    return {m.split(".")[0] for m in out.read_text().split()}


def test_a_hub_without_mdns_certificate_or_pending_migration_never_imports_them(tmp_path: Path) -> None:
    fresh = imported_by_a_serving_hub(tmp_path, "fresh")      # a new database: migrated
    assert not fresh & set(NOT_CONFIGURED)
    assert "sqlalchemy" in fresh and "aiohttp" in fresh       # the probe saw the real hub
    again = imported_by_a_serving_hub(tmp_path, "fresh")      # same data dir: nothing to migrate
    assert not again & set(NOT_CONFIGURED)

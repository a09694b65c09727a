"""`outlet-hub pair CODE` and `outlet-hub devices [--revoke ID]`: manage screens at the console.

They work on the hub's SQLite file directly, not through the hub's HTTP API: whoever can
run them as the hub's user can read that file anyway, so no PIN is asked; they work while
the hub is stopped or wedged; and the running hub picks the change up within a second
(it polls requests from the database and re-reads revocations every second).
"""

from __future__ import annotations

import time
from functools import partial

from hub import devices_db as db
from hub.config import HubConfig
from hub.core.pairing import REQUEST_TTL, new_device_id
from hub.devices import RESYNC_EVERY, iso
from hub.store import make_engine, migrate


def pair(cfg: HubConfig, code: str, approve: bool = True) -> int:
    if not (len(code) == 6 and code.isdigit()):
        print("outlet-hub pair: the code is the 6 digits shown on the screen")
        return 2
    migrate(cfg.db_path)
    engine = make_engine(cfg.db_path)
    try:
        req = db.write(engine, partial(db.decide, code=code, approve=approve, by="console",
                                       device_id=new_device_id(), now=time.time(),
                                       ttl=REQUEST_TTL))
    finally:
        engine.dispose()
    if req is None:
        print(f"no pending pairing request with code {code} (expired, or already decided)")
        return 1
    print(f"{req.status}: {req.client_type} {req.name!r} "
          f"(tenants {req.tenant_ids or 'all'}) as {req.device_id or '-'}")
    return 0


def devices(cfg: HubConfig, revoke: str | None = None) -> int:
    migrate(cfg.db_path)
    engine = make_engine(cfg.db_path)
    try:
        if revoke:
            now = time.time()
            if not db.write(engine, partial(db.revoke, device_id=revoke, now=now)):
                print(f"no paired device {revoke}")
                return 1
            try:
                db.note_revocation(cfg.db_path, revoke, now)
            except OSError as exc:      # committed all the same: the hub's resync obeys it
                print(f"revoked {revoke}; the running hub was not told ({exc}), so its screens "
                      f"are disconnected within {RESYNC_EVERY:.0f} s")
                return 0
            print(f"revoked {revoke}; its screens are disconnected within a second")
            return 0
        rows = db.read(engine, db.all_devices)
        pending = db.read(engine, partial(db.pending_requests, now=time.time()))
    finally:
        engine.dispose()
    print(f"{'DEVICE':<16} {'TYPE':<8} {'NAME':<24} {'TENANTS':<10} {'LAST SEEN':<21} STATE")
    for d in rows:
        state = f"revoked {iso(d.revoked_at)}" if d.revoked_at else "paired"
        tenants = ",".join(map(str, d.tenant_ids)) or "all"
        print(f"{d.device_id:<16} {d.client_type:<8} {d.name[:24]:<24} {tenants:<10} "
              f"{iso(d.last_seen) or '-':<21} {state}")
    for r in pending:
        print(f"pending code {r.code}: {r.client_type} {r.name!r} from {r.remote}, "
              f"expires {iso(r.expires_at)} — approve with `outlet-hub pair {r.code}`")
    return 0

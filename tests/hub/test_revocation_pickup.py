"""Console revocations reach the running hub through the revocations log, not a query a
second (issue 19: that query was most of the idle hub's CPU), and a revocation that never
got its note is still obeyed at the slow resync. Real SQLite file, real registry loop."""

from __future__ import annotations

import asyncio
import itertools
import time
from functools import partial
from pathlib import Path

import pytest

from hub import devices as devices_mod
from hub import devices_db as db
from hub.config import HubConfig
from hub.devices import DeviceRegistry
from hub.metrics import HubMetrics
from hub.store.engine import make_engine, migrate


async def _registry_with_a_device(tmp_path: Path) -> tuple[DeviceRegistry, str]:
    cfg = HubConfig(data_dir=tmp_path)
    migrate(cfg.db_path)
    reg = DeviceRegistry(cfg, HubMetrics("test", "hub-test", 1, tmp_path))
    await reg.start()
    req = await reg.create_request({"client_type": "kitchen", "name": "Grill"}, "127.0.0.1")
    decided = await reg.decide(req["code"], True, "test")
    assert (await reg.poll(req["request_id"]))["token"]
    return reg, str(decided["device_id"])


def _revoke_elsewhere(cfg: HubConfig, device_id: str, *, note: bool) -> None:
    """What `outlet-hub devices --revoke` does in its own process (without or with its note)."""
    engine = make_engine(cfg.db_path)
    try:
        now = time.time()
        assert db.write(engine, partial(db.revoke, device_id=device_id, now=now))
    finally:
        engine.dispose()
    if note:
        db.note_revocation(cfg.db_path, device_id, now)


async def _forgotten_within(reg: DeviceRegistry, device_id: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if device_id not in reg.devices:
            return True
        await asyncio.sleep(0.02)
    return False


def test_a_noted_revocation_is_picked_up_and_an_idle_hub_does_not_query(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices_mod, "SYNC_EVERY", 0.05)
    reads: list[object] = []

    async def main() -> None:
        reg, device_id = await _registry_with_a_device(tmp_path)
        real_read = reg._read

        async def counting_read(fn: object) -> object:
            reads.append(fn)
            return await real_read(fn)   # type: ignore[arg-type]

        monkeypatch.setattr(reg, "_read", counting_read)
        loop = asyncio.create_task(reg.sync_loop())
        try:
            await asyncio.sleep(0.5)                  # ten ticks with nothing to pick up
            assert db.revoked_ids not in reads
            _revoke_elsewhere(reg.cfg, device_id, note=True)
            assert await _forgotten_within(reg, device_id, 2.0)
            assert reads.count(db.revoked_ids) == 1
        finally:
            loop.cancel()
            await reg.stop()

    asyncio.run(main())


def test_a_revocation_without_its_note_is_obeyed_at_the_resync(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices_mod, "SYNC_EVERY", 0.05)

    async def main() -> None:
        reg, device_id = await _registry_with_a_device(tmp_path)
        monkeypatch.setattr(devices_mod, "RESYNC_EVERY", 3600.0)
        loop = asyncio.create_task(reg.sync_loop())
        try:
            _revoke_elsewhere(reg.cfg, device_id, note=False)   # killed before its note
            assert not await _forgotten_within(reg, device_id, 0.5)
            monkeypatch.setattr(devices_mod, "RESYNC_EVERY", 0.2)
            assert await _forgotten_within(reg, device_id, 2.0)
        finally:
            loop.cancel()
            await reg.stop()

    asyncio.run(main())


def test_the_log_starts_over_when_it_grows_and_still_changes_its_stamp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "MAX_REVOCATIONS_LOG", 100)
    db_path = tmp_path / "hub.sqlite3"
    stamps = [db.revocations_stamp(db_path)]
    for i in range(10):
        db.note_revocation(db_path, f"dev{i:012d}", time.time())
        stamps.append(db.revocations_stamp(db_path))
    assert stamps[0] is None
    assert all(a != b for a, b in itertools.pairwise(stamps))
    assert db.revocations_log(db_path).stat().st_size <= 100 + 40

"""The hub's fleet-update adapter (decision 1101): pull, wait for the window, install, verify.

Rules live in hub/core/updates.py; this module moves bytes and files. The heartbeat
carries `report()` to central and hands central's answer to `offer()`. One supervised
task (`updates`) downloads in the background, installs inside the window, switches the
`current` symlink and restarts the hub (SIGTERM to itself: a clean stop that systemd's
`Restart=always`, or the test launcher, turns into a start of the new version). The new
version, finding the record `verifying`, proves itself — /health ok, the central link up,
a self-test order through the intake — or lets its deadline pass, and the guard that runs
before the next start (hub/launcher.py) switches back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from hub.central_link import CentralLink
from hub.context import HubContext
from hub.core import updates as rules
from hub.core.updates import State, UpdateRecord, Window
from hub.health import health_body
from hub.release_download import DownloadError, download
from hub.release_install import InstallError, check_space, install, read_manifest
from hub.release_layout import KEEP_RELEASES, Layout
from hub.schema import orders
from hub.sqlite_backup import backup_sqlite
from outlet_protocol.bundle import BundleError
from outlet_protocol.orders import FINAL

log = logging.getLogger(__name__)
VERIFY_POLL_SECONDS = 0.5


def open_orders(conn: Connection) -> int:
    """Orders a kitchen screen still shows (pending, preparing, ready)."""
    stmt = select(func.count()).select_from(orders).where(orders.c.status.not_in(sorted(FINAL)))
    return int(conn.execute(stmt).scalar() or 0)


def _terminate_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


class Updater:
    """Drives one hub's UpdateRecord through the state machine with real files and HTTP."""

    def __init__(self, ctx: HubContext, link: CentralLink,
                 restart: Callable[[], None] = _terminate_self) -> None:
        self.ctx = ctx
        self.link = link
        self.layout = Layout(Path(ctx.cfg.update_root))
        self.window = Window.parse(ctx.cfg.update_window)
        rec = self.layout.read_record(ctx.version)
        if rec.current != ctx.version and rec.state != State.VERIFYING:
            # Installed by other means (provisioning, a reflash): start over from what runs,
            # remembering only what was refused.
            rec = UpdateRecord(ctx.version, refused=rec.refused)
        self.record = rec
        self.wake = asyncio.Event()
        self.restart = restart
        self.clock: Callable[[], float] = time.time
        self.local_now: Callable[[], datetime] = datetime.now
        ctx.metrics.set_update_state(self.record.state)

    # -- what the heartbeat carries ----------------------------------------------------------
    def report(self) -> dict[str, Any]:
        """The heartbeat's and /health's `update` object."""
        return rules.report(self.record)

    def offer(self, raw: Any) -> None:
        """Central's heartbeat answer named a target (or none)."""
        after = rules.on_target(self.record, rules.parse_target(raw))
        if after != self.record:
            self._save(after)
            self.wake.set()

    def _save(self, rec: UpdateRecord) -> None:
        if rec.state != self.record.state:
            log.info("update %s -> %s (%s)%s", self.record.state, rec.state, rec.target,
                     f": {rec.last_error}" if rec.last_error else "")
        self.layout.write_record(rec)
        self.record = rec
        # Shown in /health's `update` object and alerted on from central's gauge, but never
        # a /health degradation: a hub back on its previous release serves orders fine.
        self.ctx.metrics.set_update_state(rec.state)

    # -- the task ----------------------------------------------------------------------------
    async def run(self) -> None:
        """The supervised `updates` task."""
        if self.record.state == State.VERIFYING and self.record.current == self.ctx.version:
            await self._verify()
        while True:
            await self.step()
            try:
                await asyncio.wait_for(self.wake.wait(), self.ctx.cfg.update_tick_seconds)
            except TimeoutError:
                pass
            self.wake.clear()

    async def step(self) -> None:
        """One look: download when due, install when allowed."""
        rec = self.record
        if rules.may_download(rec, self.clock()):
            await self._download(rec)
        elif rec.state in (State.DOWNLOADED, State.WAITING_WINDOW):
            busy = await self.ctx.store.read(open_orders)
            decided = rules.install_decision(rec, self.clock(), self.local_now(), self.window, busy)
            if decided != rec:
                self._save(decided)
            if decided.state == State.INSTALLING:
                await self._install(decided)

    def _bundle_path(self, version: str) -> Path:
        return self.layout.downloads / f"{self.layout.release(version).name}.bundle"

    async def _download(self, rec: UpdateRecord) -> None:
        path = self._bundle_path(rec.target)
        target = self.link.offered_update
        size = target.size if target and target.version == rec.target else 0
        sha = target.sha256 if target and target.version == rec.target else ""
        try:
            await asyncio.to_thread(check_space, self.layout.root, size)
            if not path.exists():
                assert self.link.session is not None
                url = f"{self.link.base}/api/hubs/releases/{rec.target}/bundle"
                await download(self.link.session, url, self.link.auth_headers(), path, size, sha)
            manifest = await asyncio.to_thread(read_manifest, path, self.ctx.cfg.release_public_key)
            if manifest.version != rec.target:
                raise BundleError(f"bundle holds {manifest.version}, central named {rec.target}")
        except BundleError as exc:
            path.unlink(missing_ok=True)
            log.error("release %s refused: %s", rec.target, exc)
            self._save(rules.download_refused(rec, str(exc)))
            return
        except (DownloadError, InstallError, OSError) as exc:
            if self.record == rec:
                self._save(rules.download_failed(rec, str(exc), self.clock(),
                                                 random.random()))  # noqa: S311
            return
        if self.record == rec:           # central named another release meanwhile: drop it
            self._save(rules.downloaded(rec))
            self.wake.set()

    async def _install(self, rec: UpdateRecord) -> None:
        path, cfg = self._bundle_path(rec.target), self.ctx.cfg
        try:
            # Two releases on disk: the running one and the one coming in.
            await asyncio.to_thread(self.layout.prune, (rec.current, rec.target))
            manifest = await asyncio.to_thread(install, self.layout, path,
                                               cfg.release_public_key, cfg.db_path)
            backup = ""
            if not manifest.backward_compatible:
                # The old version cannot run on the new schema: keep the database as it is
                # now, for the guard to put back if the new version rolls back.
                backup = str(await asyncio.to_thread(backup_sqlite, cfg.db_path,
                                                     self.layout.backups, "pre-update-", 2))
            await asyncio.to_thread(self._switch, rec.target)
        except BundleError as exc:
            self._save(rules.download_refused(rec, str(exc)))
            return
        except (InstallError, OSError, sqlite3.Error) as exc:
            log.error("installing %s failed: %s", rec.target, exc)
            self._save(rules.install_failed(rec, str(exc), self.clock(),
                                            random.random()))  # noqa: S311
            return
        self._save(rules.switched(rec, self.clock(), backup))
        log.info("switched to %s; restarting into it", rec.target)
        self.restart()

    def _switch(self, version: str) -> None:
        running = self.layout.linked_version("current")
        if running and running != version:
            self.layout.point("previous", running)
        self.layout.point("current", version)

    # -- the new version proves itself -------------------------------------------------------
    def _healthy(self) -> bool:
        """The release's own health: the database commits, no background task keeps failing,
        central answers. Faults outside the release (a kitchen printer switched off for the
        night, the MQTT broker) degrade /health too but must not roll a release back."""
        body = health_body(self.ctx)
        return (body["status"] != "down" and not self.ctx.supervisor.reasons()
                and self.ctx.state.central == "ok")

    async def _verify(self) -> None:
        """Until the deadline: healthy (`_healthy`), then the self-test order."""
        rec = self.record
        while not rules.verify_timed_out(rec, self.clock()):
            if self._healthy():
                try:
                    await self.ctx.intake.self_test()
                except Exception as exc:  # any failure of the intake means: not verified
                    log.warning("self-test order failed: %s", exc)
                else:
                    done = rules.verified(rec)
                    self._save(done)
                    await asyncio.to_thread(self.layout.prune, (done.current, done.previous))
                    log.info("release %s verified (kept %d on disk)", done.current,
                             KEEP_RELEASES)
                    self.link.wake_heartbeat()
                    return
            await asyncio.sleep(VERIFY_POLL_SECONDS)
        log.error("release %s did not verify in time; restarting for the rollback",
                  rec.current)
        self._save(replace(rec, deadline=self.clock()))
        self.restart()
        await asyncio.Event().wait()

"""Screens over the central link: report pending codes and paired devices, apply HQ's answers.

While codes are pending the hub reports every 2 s, so an approval given in the HQ admin
panel is applied here within ~2 s; otherwise it reports when a screen is paired, comes,
goes or is revoked (and once a minute), which is also how HQ sees each screen's state.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from hub.central_link import CentralLink, CentralRefused
from hub.context import HubContext
from outlet_protocol.errors import ProtocolError
from outlet_protocol.outbox import Backoff

log = logging.getLogger(__name__)

PENDING_EVERY = 2.0          # while a code waits for HQ
IDLE_EVERY = 60.0            # otherwise, besides every change


class PairingLink:
    """One loop under the hub's supervisor; backs off while central is unreachable."""

    def __init__(self, ctx: HubContext, link: CentralLink) -> None:
        self.ctx = ctx
        self.link = link
        self.wake = asyncio.Event()
        self.backoff = Backoff(initial=1.0, maximum=30.0)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.ctx.devices.listeners.append(self.wake.set)
        self.task = self.ctx.supervisor.spawn("central-pairing", self._loop)

    async def stop(self) -> None:
        if self.wake.set in self.ctx.devices.listeners:
            self.ctx.devices.listeners.remove(self.wake.set)
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass

    async def report(self) -> int:
        """One report; applies HQ's decisions and returns how many codes are still pending."""
        pending = await self.ctx.devices.pending()
        body = {"requests": pending, "devices": self.ctx.devices.listing()}
        answer: Any = await self.link._call("POST", "/api/hubs/pairing", body)
        decisions = answer.get("decisions") if isinstance(answer, dict) else None
        applied = 0
        for d in decisions if isinstance(decisions, list) else []:
            if not isinstance(d, dict) or d.get("decision") not in ("approve", "reject"):
                continue
            try:
                await self.ctx.devices.decide(d.get("code"), d["decision"] == "approve", "central")
                applied += 1
            except ProtocolError as exc:       # expired or decided locally meanwhile
                log.info("HQ answer for code %s not applied: %s", d.get("code"), exc.message)
        return len(pending) - applied

    async def _loop(self) -> None:
        await self.link.registered.wait()
        attempt = 0
        while True:
            self.wake.clear()
            try:
                still_pending = await self.report()
                attempt = 0
                delay = PENDING_EVERY if still_pending else IDLE_EVERY
            except (ConnectionError, CentralRefused) as exc:
                log.info("pairing report to central failed: %s", exc)
                delay = self.backoff.delay(attempt, random.random())  # noqa: S311
                attempt += 1
            except Exception:
                log.exception("pairing report failed; retrying")
                delay = PENDING_EVERY
            try:
                await asyncio.wait_for(self.wake.wait(), delay)
                await asyncio.sleep(0.2)     # let a burst of changes settle into one report
            except TimeoutError:
                pass

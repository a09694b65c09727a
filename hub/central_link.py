"""The hub's link to HQ (docs/protocol.md §6): enroll/register, heartbeat, order outbox, menu, online orders.

Everything here is store-and-forward: the internet may be down for days. Orders and
status changes leave through a durable cursor over the change feed that moves only after
central answered, in rev order; the menu is cached in SQLite; online orders from central
enter through the same intake as local ones, deduplicated by uuid.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from hub.background import cancel_and_wait
from hub.central_errors import STORE_FAULTS, CentralBadAnswer, CentralHTTPError, CentralRefused
from hub.central_outbox import CentralOutbox, report_dead_letters
from hub.central_tls import central_ssl_context
from hub.context import HubContext
from hub.core.updates import Target, parse_target
from hub.dead_letters import DeadLetterBox
from hub.discovery import advertised_addresses, websocket_url_for
from hub.lan_tls_renewal import CertificateRenewal
from hub.online_orders import OnlineOrders
from hub.store import OrderStore, sold_out
from outlet_protocol.business_day import normalize_day_start
from outlet_protocol.fields import iso
from outlet_protocol.locales import normalize_currency, normalize_locale
from outlet_protocol.outbox import Backoff

log = logging.getLogger(__name__)

# Printers last: a central without them (older than decision 0801) fails only that kind.
MENU_KINDS = ("tenants", "categories", "products", "promotions", "printers")
# Kinds a central older than the hub may not serve yet: its 404 means "none configured
# there" (upgrade order: central first, but a hub must not degrade when that slipped).
OPTIONAL_MENU_KINDS = frozenset({"printers"})
__all__ = ["CentralBadAnswer", "CentralHTTPError", "CentralLink", "CentralRefused"]


# What the hub caches from the `outlet` of central's heartbeat answer: (key, context
# attribute, check). Stored as meta `outlet_<key>` so a restart offline keeps it.
OUTLET_SETTINGS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("locale", "central_locale", normalize_locale),
    ("currency", "central_currency", normalize_currency),
    ("day_starts_at", "central_day_start", normalize_day_start),
)

class UpdateAgent(Protocol):
    """What the heartbeat needs from the updater (hub/updater.py)."""

    def report(self) -> dict[str, Any]: ...

    def offer(self, raw: Any) -> None: ...


class CentralLink:
    """Keeps the hub known to central and central up to date with the hub, whatever the network."""

    def __init__(self, ctx: HubContext) -> None:
        self.ctx = ctx
        self.base = ctx.cfg.central_url.rstrip("/")
        self.token_path = Path(ctx.cfg.data_dir) / "hub_token"
        self.token = ""
        self.session: aiohttp.ClientSession | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.outbox_wake = asyncio.Event()
        self.menu_wake = asyncio.Event()
        self.registered = asyncio.Event()
        self.dead_letters_wake = asyncio.Event()
        self.backoff = Backoff(initial=1.0, maximum=30.0)
        self.dead_letters = DeadLetterBox(ctx.store, ctx.metrics)
        self.certificate = CertificateRenewal(ctx, self._call)
        self.heartbeat_wake = asyncio.Event()
        self.update_agent: UpdateAgent | None = None
        # The release central's last heartbeat answer named (size and digest to download).
        self.offered_update: Target | None = None

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        seconds = self.ctx.cfg.central_timeout_seconds
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=seconds, connect=min(5.0, seconds)),
            connector=aiohttp.TCPConnector(ssl=central_ssl_context(self.ctx.cfg)))
        if self.token_path.exists():
            self.token = self.token_path.read_text().strip()
        self.ctx.state.update(enrolled=bool(self.token))
        self.ctx.store.listeners.append(lambda _changes: self.outbox_wake.set())
        outbox, online = CentralOutbox(self), OnlineOrders(self)
        spawn = self.ctx.supervisor.spawn
        self.tasks = [spawn("central-register", self._register_loop),
                      spawn("central-outbox", outbox.run),
                      spawn("central-menu", self._menu_loop),
                      spawn("central-orders", online.run),
                      spawn("central-dead-letters", lambda: report_dead_letters(self))]

    async def stop(self) -> None:
        await cancel_and_wait(self.tasks)
        if self.session is not None:
            await self.session.close()

    # -- HTTP ------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def auth_headers(self) -> dict[str, str]:
        """The hub token header, for downloads that do not go through `_call`."""
        return self._headers()

    def wake_heartbeat(self) -> None:
        """Send the next heartbeat now (an update state central should see at once)."""
        self.heartbeat_wake.set()

    async def _call(self, method: str, path: str, body: Any = None,
                    params: dict[str, str] | None = None) -> Any:
        assert self.session is not None
        try:
            async with self.session.request(method, self.base + path, json=body, params=params,
                                            headers=self._headers()) as resp:
                text = await resp.text()
                if resp.status in (401, 403):
                    raise CentralRefused(f"{method} {path}: {resp.status} {text[:200]}")
                if resp.status >= 400:
                    raise CentralHTTPError(f"{method} {path}: HTTP {resp.status} {text[:200]}",
                                           resp.status, text[:300])
                result = json.loads(text) if text else None
        except TimeoutError as exc:
            raise ConnectionError(f"{method} {path}: no answer within "
                                  f"{self.ctx.cfg.central_timeout_seconds:g} s") from exc
        except aiohttp.ClientError as exc:
            raise ConnectionError(f"{method} {path}: {type(exc).__name__} {exc}") from exc
        except ValueError as exc:
            raise CentralBadAnswer(f"{method} {path}: answer is not JSON ({exc})") from exc
        self._reachable()
        return result

    def _reachable(self) -> None:
        self.ctx.state.update(central="ok", central_error="")
        self.ctx.metrics.central_last_sync.set(time.time())

    def _unreachable(self, exc: BaseException, job: str) -> None:
        """A call of `job` failed: central counts as unreachable and /health names the job."""
        if self.ctx.state.central != "unreachable":
            log.warning("central unreachable: %s", exc)
        self.ctx.state.update(central="unreachable", central_error=str(exc)[:200])
        self.ctx.state.set_problem(job, str(exc))

    # -- registration + heartbeat ----------------------------------------------------------
    def _save_token(self, token: str) -> None:
        tmp = self.token_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.token_path)
        self.token = token

    async def register(self) -> None:
        cfg, ctx = self.ctx.cfg, self.ctx
        body: dict[str, Any] = {
            "hub_id": cfg.effective_hub_id, "outlet_id": cfg.outlet_id,
            "websocket_url": ctx.websocket_url,
            "http_url": f"http://{ctx.addresses[0] if ctx.addresses else '127.0.0.1'}:{cfg.http_port}",
            "addresses": ctx.addresses, "version": ctx.version,
            "metrics_port": cfg.http_port,
            "metrics_url": f"http://{ctx.addresses[0] if ctx.addresses else '127.0.0.1'}:"
                           f"{cfg.http_port}/metrics",
        }
        if self.token:
            body["hub_token"] = self.token
        elif cfg.enrollment_token:
            body["enrollment_token"] = cfg.enrollment_token
        else:
            ctx.state.update(central="unenrolled", enrolled=False)
            raise CentralRefused("no hub token and no enrollment token")
        answer = await self._call("POST", "/api/hubs/register", body)
        if not isinstance(answer, dict) or not isinstance(answer.get("hub_token", ""), str):
            raise CentralBadAnswer("register: expected an object with a string hub_token")
        if answer.get("hub_token") and not self.token:
            self._save_token(str(answer["hub_token"]))
            log.info("enrolled with central as %s", cfg.effective_hub_id)
        # Enrolled from the moment central answered (the token is on disk), in the same
        # loop step as `_call` set central "ok": no reader sees "ok" beside "not enrolled"
        # while the outlet settings below are written.
        ctx.state.update(enrolled=True)
        if answer.get("display_token"):
            ctx.display_token = str(answer["display_token"])
        self._note_menu_version(answer.get("menu_version"))
        self.certificate.note(answer)
        await self._note_outlet(answer.get("outlet"))
        log.info("registered with central: websocket_url %s", ctx.websocket_url)
        self.registered.set()

    def _note_menu_version(self, version: Any) -> None:
        if isinstance(version, int) and version > self.ctx.state.menu_version:
            self.menu_wake.set()

    async def heartbeat(self) -> None:
        ctx = self.ctx
        counts = ctx.client_counts()
        body = {
            "hub_id": ctx.cfg.effective_hub_id, "outlet_id": ctx.cfg.outlet_id,
            "version": ctx.version, "time": iso(), "uptime_seconds": round(ctx.uptime(), 1),
            "clients": {t: counts.get(t, 0) for t in ("kitchen", "pos", "display", "board", "device")},
            "kitchens_connected": counts.get("kitchen", 0),
            "outbox_pending": ctx.state.pending_sync,
            "oldest_unsynced_age_seconds": ctx.state.oldest_unsynced_age,
            "mqtt": ctx.state.mqtt, "menu_version": ctx.state.menu_version,
            "last_rev": ctx.store.last_rev, "websocket_url": ctx.websocket_url,
            "addresses": ctx.addresses,
        }
        try:
            body["sold_out"] = await ctx.store.read(sold_out.product_ids)
        except STORE_FAULTS as exc:
            # Leave it out rather than say "nothing is sold out": central keeps the last set,
            # and a store fault is the store's to report, not a central outage.
            log.warning("heartbeat without sold_out: %s", exc)
        if self.update_agent is not None:
            body["update"] = self.update_agent.report()
        answer = await self._call("POST", "/api/hubs/heartbeat", body)
        if not isinstance(answer, dict):
            raise CentralBadAnswer("heartbeat: expected an object")
        self._note_menu_version(answer.get("menu_version"))
        self.certificate.note(answer)
        if self.update_agent is not None:
            self.offered_update = parse_target(answer.get("update"))
            self.update_agent.offer(answer.get("update"))
        await self._note_outlet(answer.get("outlet"))

    async def _note_outlet(self, outlet: Any) -> None:
        """Cache the outlet's locale, currency and day start central sent; a bad value keeps
        the last, and a key an older central does not send is left alone."""
        if not isinstance(outlet, dict):
            return  # a central from before decision 0901
        ctx = self.ctx
        changed: dict[str, tuple[str, str]] = {}
        for key, attr, normalize in OUTLET_SETTINGS:
            if key not in outlet:
                continue
            try:
                value = normalize(outlet.get(key))
            except ValueError as exc:
                log.warning("central sent a bad outlet %s: %s", key, exc)
                continue
            if value != getattr(ctx, attr):
                changed[key] = (attr, value)
        if not changed:
            return
        try:
            # One write, then all at once: a screen never reads en-US beside a rupiah price.
            await ctx.store.set_metas({f"outlet_{k}": v for k, (_, v) in changed.items()})
        except STORE_FAULTS as exc:
            # The store names its own fault on /health; adopting a value it could not
            # keep would lose it at the next restart, so the next heartbeat retries.
            log.warning("cannot cache the outlet's %s now: %s", ", ".join(changed), exc)
            return
        for key, (attr, value) in changed.items():
            setattr(ctx, attr, value)
            log.info("outlet %s is now %s (from central)", key, value)

    def _addresses_changed(self) -> bool:
        current = advertised_addresses(self.ctx.cfg)
        if current == self.ctx.addresses:
            return False
        log.info("LAN address changed %s -> %s; registering again", self.ctx.addresses, current)
        self.ctx.addresses = current
        self.ctx.websocket_url = websocket_url_for(self.ctx.cfg, current, self._secure())
        return True

    def _secure(self) -> bool:
        tls = self.ctx.lan_tls
        return self.ctx.cfg.tls_enabled and tls is not None and tls.context is not None

    async def _register_loop(self) -> None:
        attempt = 0
        need_register = True
        while True:
            try:
                if need_register or self._addresses_changed():
                    await self.register()
                    need_register = False
                await self.heartbeat()
                # A first certificate turns websocket_url into wss://: central must hear it.
                need_register = await self.certificate.check()
                attempt = 0
                self.ctx.state.set_problem("central heartbeat", "")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.heartbeat_wake.wait(),
                                           self.ctx.cfg.heartbeat_seconds)
                self.heartbeat_wake.clear()
            except CentralRefused as exc:
                log.error("central refused this hub: %s", exc)
                if self.ctx.state.central != "unenrolled":
                    self.ctx.state.update(central="unreachable", central_error=str(exc)[:200])
                need_register = True
                await asyncio.sleep(30)
            except ConnectionError as exc:
                self._unreachable(exc, "central heartbeat")
                need_register = need_register or not self.registered.is_set()
                await asyncio.sleep(self.backoff.delay(attempt, random.random()))  # noqa: S311
                attempt += 1

    # -- the menu --------------------------------------------------------------------------
    async def sync_menu(self) -> None:
        """Pull what changed since the cached version, kind by kind, page by page."""
        store = self.ctx.store
        newest = self.ctx.state.menu_version
        for kind in MENU_KINDS:
            raw = await store.read(partial(OrderStore.get_meta, key=f"menu_version:{kind}"))
            since = int(raw or 0)
            while True:
                try:
                    body = await self._call("GET", f"/api/{kind}/",
                                            params={"since_version": str(since), "limit": "5000"})
                except CentralHTTPError as exc:
                    if exc.status == 404 and kind in OPTIONAL_MENU_KINDS:
                        log.info("central has no /api/%s/ yet: none configured there", kind)
                        break
                    raise
                items, deleted, current, has_more = _menu_page(body, kind)
                # With has_more, central's current_version is the cursor for the next page.
                newest = max(newest, current)
                await store.apply_menu(kind, items, deleted, current)
                since = max(since, current)
                await store.set_meta(f"menu_version:{kind}", str(since))
                if not has_more or (not items and not deleted):
                    break
        synced = iso()
        await store.set_meta("menu_version", str(newest))
        await store.set_meta("menu_synced_at", synced)
        self.ctx.state.update(menu_version=newest, menu_synced_at=synced)

    async def _menu_loop(self) -> None:
        await self.registered.wait()
        self.menu_wake.set()
        attempt = 0
        while True:
            await self.menu_wake.wait()
            self.menu_wake.clear()
            try:
                await self.sync_menu()
                attempt = 0
                self.ctx.state.set_problem("central menu", "")
            except (ConnectionError, CentralRefused) as exc:
                self._unreachable(exc, "central menu")
                await self.pause(attempt)
                attempt += 1
                self.menu_wake.set()
            except STORE_FAULTS as exc:
                self.ctx.state.set_problem("central menu", f"cannot cache the menu: {exc}")
                await self.pause(attempt)
                attempt += 1
                self.menu_wake.set()

    async def pause(self, attempt: int, wake: asyncio.Event | None = None) -> None:
        """Wait the backoff for retry number `attempt`, or until `wake` is set.

        A store fault (full disk, read-only file system) ends the moment the store commits
        again: the outbox passes the commit listener's event so it retries then, instead of
        sleeping out a backoff grown to 30 s while the disk was full.
        """
        delay = self.backoff.delay(attempt, random.random())  # noqa: S311
        if wake is None:
            await asyncio.sleep(delay)
            return
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), delay)


def _menu_page(body: Any, kind: str) -> tuple[list[dict[str, Any]], list[Any], int, bool]:
    """(items, deleted ids, current version, has_more) from central's menu answer."""
    if isinstance(body, list):
        return [i for i in body if isinstance(i, dict)], [], 0, False
    if not isinstance(body, dict):
        raise CentralBadAnswer(f"menu {kind}: expected an object, got {type(body).__name__}")
    items = body.get(kind) or body.get("results") or []
    deleted = body.get("deleted", [])
    version = body.get("current_version") or 0
    if not isinstance(items, list) or not isinstance(deleted, list) \
            or not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise CentralBadAnswer(f"menu {kind}: expected lists and an integer current_version")
    return ([i for i in items if isinstance(i, dict) and "id" in i], deleted, version,
            bool(body.get("has_more")))

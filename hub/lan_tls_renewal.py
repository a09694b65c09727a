"""Asking central for the hub's LAN certificate, driven by the register/heartbeat loop.

Central's register and heartbeat answers carry `ca_fingerprint` when it runs a CA; after
each, the core decides whether a CSR is due (none yet, 2/3 of life passed, names changed,
CA rotated). A failure never stops the heartbeat: the old certificate keeps serving and
/health says how long it has left (docs/protocol.md §6, decision 1001).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from hub.central_errors import CentralHTTPError
from hub.context import HubContext
from hub.core.lan_tls import RETRY_SECONDS, renewal_reason
from hub.discovery import websocket_url_for
from hub.lan_tls import CertificateRejected

log = logging.getLogger(__name__)

Call = Callable[[str, str, Any], Awaitable[Any]]


class CertificateRenewal:
    """One CSR at a time, at most one retry an hour after a failure."""

    def __init__(self, ctx: HubContext, call: Call) -> None:
        self.ctx = ctx
        self.call = call
        self.central_ca: str | None = None
        self.retry_after = 0.0

    def note(self, answer: Any) -> None:
        """Remember central's CA fingerprint from a register or heartbeat answer."""
        if isinstance(answer, dict):
            value = answer.get("ca_fingerprint")
            self.central_ca = value if isinstance(value, str) and len(value) <= 128 else None

    async def check(self) -> bool:
        """Renew if due; True when a new certificate was installed (the URL may change)."""
        ctx, certificate = self.ctx, self.ctx.lan_tls
        if certificate is None or not ctx.cfg.tls_enabled or time.monotonic() < self.retry_after:
            return False
        reason = renewal_reason(certificate.facts, certificate.clock(), ctx.cfg.effective_hub_id,
                                ctx.addresses, self.central_ca)
        if reason is None:
            return False
        log.info("asking central for a LAN certificate: %s", reason)
        try:
            csr = await asyncio.to_thread(certificate.csr, ctx.cfg.effective_hub_id,
                                          ctx.addresses)
            answer = await self.call("POST", "/api/hubs/certificate", {"csr": csr})
            if not isinstance(answer, dict):
                raise CertificateRejected("expected an object")
            facts = await asyncio.to_thread(certificate.install, answer.get("certificate"),
                                            answer.get("ca_bundle"))
        except (CertificateRejected, OSError, ValueError) as exc:
            # The heartbeat goes on either way; a refused CSR (an HTTP error, a certificate
            # that does not fit) waits an hour, a dropped connection a minute.
            http = isinstance(exc, CentralHTTPError) or not isinstance(exc, ConnectionError)
            self.retry_after = time.monotonic() + (RETRY_SECONDS if http else 60.0)
            ctx.state.set_problem("tls renewal", f"{reason}; not renewed: {exc}")
            log.warning("LAN certificate not renewed: %s", exc)
            return False
        ctx.state.set_problem("tls renewal", "")
        if renewal_reason(facts, certificate.clock(), ctx.cfg.effective_hub_id, ctx.addresses,
                          self.central_ca) is not None:
            # Issued, yet already due by our clock: the clocks disagree. Do not hammer central.
            self.retry_after = time.monotonic() + RETRY_SECONDS
        log.info("installed a LAN certificate valid until %s for %s",
                 facts.not_after.isoformat(), ", ".join(facts.names))
        if ctx.https is not None:
            await ctx.https.ensure_started()
        ctx.websocket_url = websocket_url_for(ctx.cfg, ctx.addresses, secure=True)
        return True

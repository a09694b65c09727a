"""HTTPS on the outlet LAN (decision 1001): the listener on `https_port`, /ca.pem, the
redirect of app pages from plain HTTP, and what /health says about the certificate.

The HTTPS listener serves the same aiohttp app as the plain port (apps, API, wss://); it
starts as soon as a certificate exists — at boot, or the moment enrollment brought the
first one — and a renewal swaps the pair inside the running TLS context.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from hub.config import HubConfig
from hub.core.lan_tls import https_redirect
from hub.lan_tls import LanCertificate

log = logging.getLogger(__name__)

LAN_TLS: web.AppKey[LanCertificate] = web.AppKey("lan_tls", LanCertificate)


class HttpsListener:
    """Starts the HTTPS site on the main runner once, when there is a certificate."""

    def __init__(self, cfg: HubConfig, certificate: LanCertificate) -> None:
        self.cfg = cfg
        self.certificate = certificate
        self.runner: web.AppRunner | None = None
        self.site: web.TCPSite | None = None
        self.error = ""

    @property
    def serving(self) -> bool:
        return self.site is not None

    async def attach(self, runner: web.AppRunner) -> None:
        """Called once the plain sites run: from now on a certificate starts HTTPS."""
        self.runner = runner
        await self.ensure_started()

    async def ensure_started(self) -> None:
        """Idempotent: start the HTTPS site if a certificate and the runner are there."""
        context = self.certificate.context
        if self.site is not None or self.runner is None or context is None \
                or not self.cfg.tls_enabled:
            return
        site = web.TCPSite(self.runner, self.cfg.bind, self.cfg.https_port,
                           ssl_context=context, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            # Plain HTTP keeps serving; /health names the cause (port taken, no permission).
            self.error = f"cannot listen on https port {self.cfg.https_port}: {exc}"
            log.error("%s", self.error)
            return
        self.site, self.error = site, ""
        log.info("serving https on %s:%d", self.cfg.bind, self.cfg.https_port)


def tls_health(cfg: HubConfig, certificate: LanCertificate, listener: HttpsListener | None
               ) -> tuple[dict[str, Any], list[str]]:
    """(the `tls` object of /health and /api/status, reasons that degrade /health)."""
    state, reason = certificate.state()
    facts = certificate.facts
    body: dict[str, Any] = {
        "state": "disabled" if not cfg.tls_enabled else state,
        "https_port": cfg.https_port,
        "serving": bool(listener and listener.serving),
        "not_after": facts.not_after.isoformat().replace("+00:00", "Z") if facts else None,
        "renew_from": facts.renew_from().isoformat().replace("+00:00", "Z") if facts else None,
        "names": list(facts.names) if facts else [],
    }
    reasons = [f"tls: {reason}"] if reason and cfg.tls_enabled else []
    if listener is not None and listener.error:
        reasons.append(f"tls: {listener.error}")
    return body, reasons


async def ca_pem(request: web.Request) -> web.Response:
    """The CA bundle central issued under, for the device-trust page (public, both ports)."""
    bundle = request.app[LAN_TLS].ca_bundle()
    if bundle is None:
        raise web.HTTPNotFound(text="this hub has no LAN certificate yet\n")
    return web.Response(body=bundle, content_type="application/x-pem-file",
                        headers={"Content-Disposition": 'attachment; filename="outlet-ca.pem"',
                                 "Cache-Control": "no-cache"})


def make_redirect_middleware(cfg: HubConfig, certificate: LanCertificate) -> Middleware:
    """Browsers opening an app over plain HTTP go to HTTPS when the hub has a valid certificate."""

    @web.middleware
    async def to_https(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.secure and cfg.tls_enabled and certificate.facts is not None:
            target = https_redirect(
                request.method, request.path_qs, request.headers.get("Host", ""),
                request.headers.get("Upgrade", "").lower() == "websocket",
                certificate.state()[0], certificate.facts.names, cfg.https_port)
            if target is not None:
                # 302, not 301: if the certificate lapses, plain HTTP must work again.
                raise web.HTTPFound(target)
        return await handler(request)

    return to_https

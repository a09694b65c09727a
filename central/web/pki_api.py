"""LAN certificates (decision 1001): the CA bundle for devices, a certificate for a hub's CSR."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from cryptography import x509

from central.core.pki import fingerprint, utc
from central.store.pki import PkiStore
from central.web.context import STORES, body_json, db, now, reply, require_hub
from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import iso

log = logging.getLogger("central.pki")
routes = web.RouteTableDef()


def _pki(request: web.Request) -> PkiStore:
    pki = request.app[STORES].pki
    if pki is None:
        raise ProtocolError("not_found", "this central runs no LAN CA (CENTRAL_PKI_KEY unset)")
    return pki


@routes.get("/api/pki/ca.pem")
async def ca_pem(request: web.Request) -> web.Response:
    """The CA certificates a device installs to trust every hub of this HQ (public)."""
    bundle = await db(_pki(request).bundle, utc(now()))
    return web.Response(body=bundle, content_type="application/x-pem-file",
                        headers={"Content-Disposition": 'attachment; filename="outlet-ca.pem"',
                                 "Cache-Control": "max-age=300"})


@routes.post("/api/hubs/certificate")
async def hub_certificate(request: web.Request) -> web.Response:
    """Sign the calling hub's CSR for its own names only; the hub's key never travels."""
    hub = await require_hub(request)
    pki = _pki(request)
    body = await body_json(request)
    csr = body.get("csr") if isinstance(body, dict) else None
    try:
        cert, bundle = await db(pki.issue, hub.hub_id, csr, utc(now()))
    except LookupError:
        raise ProtocolError("unavailable", "the LAN CA is not ready") from None
    log.info("issued a LAN certificate to %s", hub.hub_id)
    answer: dict[str, Any] = {
        "certificate": cert.decode(), "ca_bundle": bundle.decode(),
        # The bundle's first certificate is the active CA, the one that signed this.
        "ca_fingerprint": fingerprint(bundle),
        "not_after": iso(x509.load_pem_x509_certificate(cert).not_valid_after_utc)}
    return reply(answer)

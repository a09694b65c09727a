"""Device-trust downloads (decision 1001): the LAN CA as each platform installs it, and a QR
code that points a phone at it. Plain HTTP and HTTPS alike; never redirected, so a device
that does not trust the CA yet can fetch it. Shapes are built in hub/core/device_trust.py.
"""

from __future__ import annotations

import io

from aiohttp import web

from hub.context import CTX
from hub.core.device_trust import FILES, active_der, apple_profile, chromium_policy, download_url
from hub.core.lan_tls import host_only
from hub.https import LAN_TLS


def _bundle(request: web.Request) -> bytes:
    bundle = request.app[LAN_TLS].ca_bundle()
    if bundle is None:
        raise web.HTTPNotFound(text="this hub has no LAN certificate yet\n")
    return bundle


async def trust_file(request: web.Request) -> web.Response:
    """/trust/<file>: the CA for Android/ChromeOS, an iOS profile or a Chromium policy."""
    name = request.match_info["file"]
    if name not in FILES:
        raise web.HTTPNotFound()
    bundle = _bundle(request)
    ctx = request.app[CTX]
    if name == "outlet-ca.crt":
        body = active_der(bundle)
    elif name == "outlet-ca.mobileconfig":
        body = apple_profile(bundle, ctx.cfg.outlet_name or f"Outlet {ctx.cfg.outlet_id}").encode()
    else:
        body = chromium_policy(bundle).encode()
    return web.Response(body=body, headers={
        "Content-Type": FILES[name], "Cache-Control": "no-cache",
        "Content-Disposition": f'attachment; filename="{name}"'})


async def trust_qr(request: web.Request) -> web.Response:
    """An SVG QR code of the plain-HTTP address of `?file=` on the host the page was opened at."""
    name = request.query.get("file", "outlet-ca.crt")
    if name not in FILES:
        raise web.HTTPNotFound()
    _bundle(request)
    host = host_only(request.headers.get("Host", "")) or (request.app[CTX].addresses or
                                                          ["127.0.0.1"])[0]
    url = download_url(host, request.app[CTX].cfg.ws_port, name)
    out = io.BytesIO()
    import segno  # ~60 ms to import: paid by the first trust page, not by every start

    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2, title=url)
    return web.Response(body=out.getvalue(), content_type="image/svg+xml",
                        headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/trust/qr.svg", trust_qr)
    app.router.add_get("/trust/{file}", trust_file)

"""CORS for the few routes a browser on a hub's origin calls directly (hub down, internet up).

An allowlist, not a blanket policy (docs/decisions/0102): the public cart endpoint and the
display-token reads. Admin and hub routes never answer a cross-origin browser. `*` is safe
here because these routes authenticate with bearer tokens the page itself holds, never with
cookies, so a foreign page gains nothing it could not do with a plain HTTP client.
"""

from __future__ import annotations

import re

from aiohttp import web

from central.web.context import Handler

# (path pattern, methods a cross-origin page may use); OPTIONS is the preflight itself.
_ALLOWED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/api/public/order-groups/?$"), "POST"),
    (re.compile(r"^/api/orders/?$"), "GET"),
    (re.compile(r"^/ws/outlet/\d+/?$"), "GET"),
)
ALLOW_HEADERS = "Authorization, Content-Type"
# Chromium caps this at 2 h; 10 min keeps a kiosk's resend loop at one preflight per burst.
MAX_AGE = "600"


def allowed_methods(path: str) -> str | None:
    """The methods a cross-origin page may use on `path`, or None for a route not opened."""
    for pattern, methods in _ALLOWED:
        if pattern.match(path):
            return methods
    return None


def _headers(methods: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Allow-Methods": f"{methods}, OPTIONS",
    }


@web.middleware
async def cors_preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer OPTIONS on an allowlisted route (the router has no OPTIONS routes: 405)."""
    if request.method == "OPTIONS":
        methods = allowed_methods(request.path)
        if methods is not None:
            return web.Response(status=204, headers=_headers(methods) | {
                "Access-Control-Max-Age": MAX_AGE, "Allow": f"{methods}, OPTIONS"})
    return await handler(request)


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every answer of an allowlisted route, errors and 101 included,
    carries the headers, so the page can read a 401 or 409 body instead of a network error."""
    methods = allowed_methods(request.path)
    if methods is not None and "Access-Control-Allow-Origin" not in response.headers:
        response.headers.update(_headers(methods))

"""Who is asking an HTTP request, and may they: the one check every order route makes."""

from __future__ import annotations

from aiohttp import web

from hub.context import CTX
from hub.core.pairing import Principal, bounded_tenants
from hub.security import presented_token
from outlet_protocol.errors import ProtocolError

PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)


def request_principal(request: web.Request) -> Principal:
    """The request's principal, resolved once (legacy token, device, anonymous, invalid)."""
    who = request.get(PRINCIPAL)
    if who is None:
        who = request.app[CTX].devices.principal(presented_token(request))
        request[PRINCIPAL] = who
    return who


def guard(request: web.Request, action: str) -> bool:
    """Refuse what pairing forbids; True when the request counts as authorised for writes.

    With pairing off this is the pre-pairing rule: only the legacy shared token authorises
    (and only matters when `client_token` is set). With pairing required a device of a
    role that may `action`, or the legacy token, is needed.
    """
    ctx = request.app[CTX]
    who = request_principal(request)
    ctx.devices.authorize(who, action, poll=True)
    return who.kind == "legacy" or ctx.cfg.pairing_required


def tenant_scope(request: web.Request, asked: frozenset[int]) -> frozenset[int]:
    """A device's tenant_ids bound the tenant filter it may read with."""
    scope = bounded_tenants(request_principal(request), asked)
    if scope is None:
        raise ProtocolError("forbidden", "this screen is paired for other stalls", "tenant_id")
    return scope

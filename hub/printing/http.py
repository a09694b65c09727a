"""Printer endpoints: list printers and held tickets, reprint an order, decide a held ticket, test.

Writes go through the same authorisation as changing an order's status (`access.guard` for
`update_status` → `OrderIntake.require_write`): the legacy token, or with pairing required
a kitchen screen's device token, so whatever protects order changes protects these. The
list names held tickets' orders, so with pairing required it needs a paired screen, like
any order read. The status page's list and test print may instead carry the manager PIN
(`X-Manager-Pin`): IT installs a printer before any kitchen screen is paired, and the
status page is no paired screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from hub.access import guard
from hub.context import CTX
from hub.core.pairing import READ, UPDATE_STATUS
from hub.http_api import _json_body
from hub.printing.service import PRINTING, PrintService
from hub.store import OrderStore
from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import iso


def _service(request: web.Request) -> PrintService:
    return request.app[PRINTING]


def _require_write(request: web.Request) -> None:
    ctx = request.app[CTX]
    ctx.intake.require_write(guard(request, UPDATE_STATUS))


def _manager_or(request: web.Request, otherwise: Callable[[web.Request], object]) -> None:
    """The manager PIN when the request carries one (wrong ones count towards the lockout),
    else what a screen needs (`otherwise`)."""
    pin = request.headers.get("X-Manager-Pin")
    if pin is not None:
        request.app[CTX].devices.check_pin(pin, request.remote or "?")
    else:
        otherwise(request)


def _printer_name(service: PrintService, value: Any, field: str = "printer") -> str:
    if not isinstance(value, str) or value not in service.workers:
        raise ProtocolError("not_found", f"no printer {str(value)[:40]!r}", field)
    return value


async def list_printers(request: web.Request) -> web.Response:
    """Printers with state and queue, and every held ticket (the kitchen's reprint decisions).

    The queue is counted now, like the held tickets, not taken from the metrics' snapshot
    (up to 2 s old): a cook who just saw a ticket come out must not read "1 waiting"."""
    _manager_or(request, lambda r: guard(r, READ))
    service = _service(request)
    held = await service.jobs.listed("held")
    printers = [{**w.printer.describe(), **w.status.describe(), "queue": await w.pending(),
                 "held": sum(1 for j in held if j.printer == n)} for n, w in service.workers.items()]
    return web.json_response({"printers": printers, "held": [j.describe() for j in held]})


async def reprint(request: web.Request) -> web.Response:
    """Reprint an order's kitchen ticket on the named printer(s) (default: every one that prints it)."""
    _require_write(request)
    service = _service(request)
    body = await _json_body(request) if request.can_read_body else {}
    if not isinstance(body, dict):
        raise ProtocolError("validation_failed", "body must be an object", "payload")
    key = request.match_info["key"][:100]
    order = await service.ctx.store.read(lambda c: OrderStore.order_by_key(c, key))
    if order is None:
        raise ProtocolError("not_found", f"no order {key}", "uuid")
    kind = body.get("kind", "kitchen")
    if kind not in ("kitchen", "ready", "cancelled"):
        raise ProtocolError("validation_failed", "kind: kitchen, ready or cancelled", "kind")
    if body.get("printer") is not None:
        names = [_printer_name(service, body["printer"])]
    else:
        from hub.printing.policy import prints_for
        names = [n for n, w in service.workers.items() if prints_for(w.printer, kind, order)]
    if not names:
        raise ProtocolError("not_found", "no printer prints this order", "printer")
    jobs = [await service.jobs.enqueue(n, kind, order, "reprint", iso()) for n in names]
    service.wake_all()
    return web.json_response({"queued": [{"printer": n, "job": j} for n, j in zip(names, jobs,
                                                                                   strict=True)]},
                             status=202)


async def decide_held(request: web.Request) -> web.Response:
    """A held ticket: `print` it now or `dismiss` it."""
    _require_write(request)
    service = _service(request)
    raw = request.match_info["job"]
    if not raw.isdigit() or len(raw) > 15:
        raise ProtocolError("validation_failed", "job id must be a positive integer", "job")
    job_id = int(raw)
    action = request.match_info["action"]
    state = {"print": "queued", "dismiss": "dismissed"}.get(action)
    if state is None:
        raise ProtocolError("not_found", "action: print or dismiss", "action")
    job = await service.jobs.set_state(job_id, state, iso(), only_from=("held",))
    if job is None:
        raise ProtocolError("not_found", f"no held ticket {job_id}", "job")
    service.wake_all()
    service.changed()
    return web.json_response({"job": job_id, "state": state}, status=202)


async def test_print(request: web.Request) -> web.Response:
    """The status page's test button: a test page on one printer."""
    _manager_or(request, _require_write)
    service = _service(request)
    name = _printer_name(service, request.match_info["name"], "name")
    job = await service.jobs.enqueue(name, "test", {}, "test", iso())
    service.wake_all()
    return web.json_response({"printer": name, "job": job}, status=202)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/printers", list_printers)
    app.router.add_post("/api/printers/{name}/test", test_print)
    app.router.add_post("/api/printers/held/{job}/{action}", decide_held)
    app.router.add_post("/api/orders/{key}/reprint", reprint)
